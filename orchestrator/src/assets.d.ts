// Text assets embedded by Bun's `with { type: "text" }` imports (prompts, the grader's Python helpers).
declare module "*.txt" {
  const text: string;
  export default text;
}
declare module "*.py" {
  const text: string;
  export default text;
}

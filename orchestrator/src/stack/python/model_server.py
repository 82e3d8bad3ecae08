"""One local model behind llama.cpp's own OpenAI-compatible HTTP server (xllamacpp: a prebuilt wheel, no compiler).

Usage: python model_server.py --model FILE.gguf --alias NAME --port N --ctx N --parallel N --threads N [--no-prompt-cache]

--ctx is the context of one slot; the server holds --parallel slots (continuous batching), each with its own
prompt cache, so a retry that repeats a prompt's start reuses what that slot already read. --no-prompt-cache with
--parallel 1 makes a greedy reply a function of its prompt alone: a cached prefix or a batch shared with other calls
changes the arithmetic, and with it, now and then, a token.
Runs until SIGTERM or SIGINT.
"""
import argparse
import signal
import sys
import threading

import xllamacpp


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ctx", type=int, required=True, help="tokens per slot")
    parser.add_argument("--parallel", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--no-prompt-cache", action="store_true", help="read every prompt from its start")
    args = parser.parse_args()

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}  # a set of names
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx * args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    # Sleep, not spin, between batches: two servers share the machine's cores, and a spinning idle one steals them.
    params.cpuparams.poll = 0
    params.cpuparams_batch.poll = 0
    params.cache_prompt = not args.no_prompt_cache
    params.use_jinja = True
    params.warmup = False

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = xllamacpp.Server(params)
    print(f"serving {args.alias} on 127.0.0.1:{args.port}: {args.parallel} slots x {args.ctx} tokens, {args.threads} threads", flush=True)
    stop.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())

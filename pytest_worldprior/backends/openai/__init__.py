"""Models behind an OpenAI-compatible HTTP server (vLLM, TGI, SGLang, llama.cpp)."""

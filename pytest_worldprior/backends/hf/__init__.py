"""Models this process runs with PyTorch and transformers: Hugging Face directories, .gguf files, bundled and toy models."""

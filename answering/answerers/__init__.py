"""Answerers: extractive (offline default), ollama and openai (LLM servers)."""

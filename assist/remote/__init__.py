"""Talking to a remote OpenAI-compatible server: nothing personal leaves the device unredacted."""

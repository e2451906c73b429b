"""``assist serve``: the app's local language model behind an OpenAI-compatible HTTP API.

Why it exists: other tools on this machine or the team's network (a helpdesk plug-in, another
Assist with ``remote`` configured, a script) can then use the same small model through the
API they already speak, and :mod:`assist.remote.client` can talk to it unchanged.

- :mod:`assist.serve.keys`: API keys, stored hashed in the profile folder.
- :mod:`assist.serve.worker`: the one model worker thread and its bounded queue.
- :mod:`assist.serve.api`: the Starlette app (``/v1/chat/completions``, ``/v1/models``,
  ``/health``) with its limits.
- :mod:`assist.serve.server`: binding (loopback unless keys exist) and running uvicorn.
"""

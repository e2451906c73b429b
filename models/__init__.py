"""Build-time model recipes (torch, transformers, onnxruntime-genai builder).

Never imported by the running app: ``assist models build`` imports this lazily and needs the
``build`` extra. Each recipe module exposes ``COMPONENT``, ``recipe_hash()`` and
``build_into(staging) -> card``; :mod:`models.build` caches the result by recipe hash.
"""

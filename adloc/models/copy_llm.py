"""The copy model: any transformers causal LM (hub id, local folder, GGUF file, or the embedded
default) as a Beam ModelHandler, generating batched and greedy with a per-output confidence."""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from adloc import locale as loc
from adloc.errors import AdlocError, NotFound
from adloc.models import embedded, use_threads
from adloc.records import CopyRequest, Generation

LENGTH_BUCKET = 32  # prompt lengths are padded to a multiple of this
# Beam hands the handler this many batches' worth of rows per call, so that sorting them by shape
# (adapter, length bucket) leaves few part-filled batches.
BATCHES_PER_CALL = 8


DTYPES = ("auto", "float32", "bfloat16", "int8")  # how a model runs on a CPU (README, benchmark 8)


def resolve(model: str) -> tuple[str, dict, str]:
    """(path or hub id, from_pretrained kwargs, model id to record) for a model spec: "embedded" (the
    default), an embedded model's name, a .gguf file, a folder or a hub id; NotFound when a local
    model is not there."""
    if embedded.is_embedded(model):
        chosen = embedded.get(model)
        if not chosen.is_fetched():
            fetch = "adloc models fetch" + ("" if model == "embedded" else f" {chosen.name}")
            raise NotFound(f"the embedded copy model {chosen.name} is not in {chosen.folder}; run `{fetch}` first")
        return str(chosen.folder), {}, chosen.model_id
    path = Path(model)
    if path.suffix == ".gguf":
        if not path.is_file():
            raise NotFound(f"copy model: GGUF file {model!r} does not exist")
        return str(path.parent), {"gguf_file": path.name}, path.stem
    if path.exists():
        return str(path), {}, path.name
    if model.startswith(("/", "./", "../", "~")):
        raise NotFound(f"copy model: folder {model!r} does not exist")
    return model, {}, model  # a hub id


def cpu_dtype(model: str, dtype: str = "auto") -> str:
    """The CPU runtime of `model`: `dtype` unless "auto", then the embedded model's measured choice
    (float32 instead of bfloat16 on a CPU that emulates bfloat16: `fast_bfloat16`), else float32."""
    if dtype not in DTYPES:
        raise AdlocError(f"copy model dtype: {dtype!r} is not one of {', '.join(DTYPES)}")
    if dtype != "auto":
        return dtype
    chosen = declared_dtype(model)
    return "float32" if chosen == "bfloat16" and not fast_bfloat16() else chosen


@functools.cache
def fast_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices at least half as fast as float32. Where it has
    no bfloat16 instructions torch emulates them, about a hundred times slower (0.5 against 43
    GFLOP/s on a 2-core AVX2 EPYC): there "auto" runs the model in float32. Measured once per process
    on a 128 x 512 by 512 x 512 product, best of three."""
    import time

    import torch

    def best(dtype) -> float:
        a, b = torch.ones(128, 512, dtype=dtype), torch.ones(512, 512, dtype=dtype)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - started)
        return min(times)

    return best(torch.bfloat16) <= 2 * best(torch.float32)


def declared_dtype(model: str) -> str:
    """The runtime a model is meant to run in: the embedded model's measured choice, else float32."""
    return embedded.get(model).dtype if embedded.is_embedded(model) else "float32"


def model_id(model: str, dtype: str = "auto") -> str:
    """The id a base model's lines record: its name, with the CPU runtime when one other than the
    model's own (`declared_dtype`) is asked for (the lines differ, so lineage and reuse tell them
    apart). The same on every machine: "auto" is the model's own choice, wherever it runs."""
    if dtype not in DTYPES:
        raise AdlocError(f"copy model dtype: {dtype!r} is not one of {', '.join(DTYPES)}")
    name = resolve(model)[2]
    return name if dtype in ("auto", declared_dtype(model)) else f"{name}[{dtype}]"


def load_causal_lm(model: str, training: bool = False, dtype: str = "auto"):
    """(tokenizer, model, model id, device) for a model spec. On CUDA: float16 for generation. On
    the CPU: `cpu_dtype` for generation (int8: dynamic quantization of the linear layers), float32
    for training."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where, kwargs, model_id = resolve(model)
    tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = "cuda" if torch.cuda.is_available() else "cpu"
    runtime = "float32" if training else cpu_dtype(model, dtype)
    if device == "cuda":
        torch_dtype = torch.float32 if training else torch.float16
    else:
        torch_dtype = torch.bfloat16 if runtime == "bfloat16" else torch.float32
    lm = AutoModelForCausalLM.from_pretrained(where, dtype=torch_dtype, **kwargs).to(device)
    if device == "cpu" and runtime == "int8":
        lm = torch.ao.quantization.quantize_dynamic(lm, {torch.nn.Linear}, dtype=torch.qint8)
    return tokenizer, lm, model_id, device


class AdapterError(AdlocError):
    """A locale-adapter folder that cannot be used; the message names it."""


def _adapter(path: Path, locale: str) -> str:
    """The model id suffix of the adapter in `path`: its name and a hash of its configuration and
    weights, so lineage tells one tuning from the next."""
    if not (path / "adapter_config.json").is_file():
        raise AdapterError(f"{path}: no adapter_config.json (a peft LoRA adapter folder, as `adloc tune` writes)")
    weights = next((w for w in (path / "adapter_model.safetensors", path / "adapter_model.bin") if w.is_file()), None)
    if weights is None:
        raise AdapterError(f"{path}: no adapter_model.safetensors beside adapter_config.json")
    digest = hashlib.sha256((path / "adapter_config.json").read_bytes() + weights.read_bytes()).hexdigest()[:12]
    return f"lora-{locale}@{digest}"


def find_adapters(adapters: str | dict[str, str] | None) -> dict[str, tuple[str, str]]:
    """Locale tuning: locale -> (adapter folder, model id suffix), from a folder holding
    `<folder>/<locale>/adapter_config.json` (peft LoRA adapters, one per locale), or from a mapping
    locale -> adapter folder (the champions of the model registry)."""
    if not adapters:
        return {}
    if isinstance(adapters, dict):
        return {locale: (str(Path(path).resolve()), _adapter(Path(path).resolve(), locale))
                for locale, path in sorted(adapters.items())}
    folder = adapters
    root = Path(folder).resolve()
    if not root.is_dir():
        raise AdapterError(f"adapters: folder {folder!r} does not exist")
    if (root / "adapter_config.json").is_file():
        raise AdapterError(f"adapters: {folder!r} is one adapter; give the folder that holds one folder per "
                           f"locale (e.g. {root.parent}/ with {root.name}/ in it)")
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(p for p in root.iterdir() if (p / "adapter_config.json").is_file()):
        try:
            locale = loc.canonical(path.name)
            loc.territory(locale)
        except ValueError as exc:
            raise AdapterError(f"{path}: an adapter folder is named by its locale, such as de-DE: {exc}") from None
        if locale in out:
            raise AdapterError(f"{path}: a second adapter for {locale} (the first is {out[locale][0]})")
        out[locale] = (str(path), _adapter(path, locale))
    if not out:
        raise AdapterError(f"adapters: no <locale>/adapter_config.json in {folder!r}")
    return out


def build_messages(request: CopyRequest) -> list[dict[str, str]]:
    """The chat prompt. The source line is quoted as data: instructions inside it are not followed.
    Placeholders are shown numbered ({1}, `locale.numbered_placeholders`), in the examples too, so
    that no placeholder name reads as a word to translate; `unmask` names them again."""
    language = loc.language_name(request.locale)
    rules = [
        f"Translate advertising copy for {request.brand} from English into {language} ({request.locale}).",
        f"The text is the ad's {request.slot.replace('_', ' ')}.",
        "Reply with the translation only, on one line.",
        f"At most {_masked_budget(request)} characters.",
    ]
    words = loc.without_placeholders(request.source).lower()  # a placeholder's name is not a word of the line
    keep = [t for t in request.keep_terms if t.lower() in words]
    keep += [g.term for g in request.glossary if g.kind == "keep" and g.term.lower() in words]
    if keep:
        rules.append("Keep these words unchanged: " + ", ".join(sorted(set(keep))) + ".")
    source, back = loc.numbered_placeholders(request.source)
    if back:
        rules.append("Keep " + ", ".join(back) + " exactly as written.")
    register = loc.register_instruction(request.locale, request.formality) if request.formality else None
    if register:
        rules.append(register)
    required = [g for g in request.glossary if g.kind == "required" and g.term.lower() in words]
    if required:
        rules.append("Translate " + "; ".join(f"'{g.term}' as '{g.rendering}'" for g in required) + ".")
    messages = [{"role": "system", "content": " ".join(rules)}]
    for example in request.examples:
        masked, numbers = loc.numbered_placeholders(example.source)
        target = example.target
        for number, name in numbers.items():
            target = target.replace(name, number)
        messages += [
            {"role": "user", "content": f"Text: {masked}"},
            {"role": "assistant", "content": target},
        ]
    messages.append({"role": "user", "content": f"Text: {source}"})
    return messages


def back_messages(request: CopyRequest, text: str) -> list[dict[str, str]]:
    """The round-trip prompt: the model's line back into English, the source as the answer."""
    language = loc.language_name(request.locale)
    back = loc.numbered_placeholders(request.source)[1]
    line = text
    for number, name in back.items():
        line = line.replace(name, number)
    return [{"role": "system", "content": f"Translate advertising copy from {language} into English. "
                                          "Reply with the translation only, on one line."},
            {"role": "user", "content": f"Text: {line}"},
            {"role": "assistant", "content": loc.numbered_placeholders(request.source)[0]}]


def _masked_budget(request: CopyRequest) -> int:
    """The slot's character budget for the line the model writes, where placeholders are numbered."""
    return request.max_chars - (len(request.source) - len(loc.numbered_placeholders(request.source)[0]))


def unmask(request: CopyRequest, text: str) -> str:
    """A model line with the source's placeholders named again ({1} -> {price})."""
    return loc.named_placeholders(text, loc.numbered_placeholders(request.source)[1])


class OverBudget:
    """A row of a batch ends as soon as its line is longer than the slot's character budget: it
    would fail the length check whatever came next, and its batch no longer waits for it (a row
    that never ends would otherwise hold every row of its batch to the token budget). The line, cut
    there, still goes through the checks, which send it to the fallback with the length failure."""

    def __init__(self, tokenizer, start: int, budgets: list[int]):
        self._tokenizer, self._start, self._budgets = tokenizer, start, budgets

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        texts = self._tokenizer.batch_decode(input_ids[:, self._start:], skip_special_tokens=True)
        return torch.tensor([len(t.strip()) > b for t, b in zip(texts, self._budgets, strict=True)],
                            dtype=torch.bool, device=input_ids.device)


@dataclass
class LoadedLM:
    model: Any
    tokenizer: Any
    model_id: str
    stop_ids: list[int]
    # Beam shares one loaded model between the threads of a worker process; switching adapters
    # changes the whole model, so one generation at a time holds the model.
    lock: Any = field(default_factory=threading.Lock)


class CopyModelHandler(ModelHandler[CopyRequest, PredictionResult, LoadedLM]):
    """Batched greedy generation. Rows are computed in fixed-shape batches (same width, prompt
    length padded to a bucket), so an output never depends on which rows Beam batched it with:
    reruns are byte-identical however the runner groups elements."""

    def __init__(self, model: str = "embedded", batch_size: int = 8, max_new_tokens: int = 96,
                 adapters: str | dict[str, str] | None = None, threads: int | None = None,
                 dtype: str = "auto", round_trip: bool = False, shadow: dict[str, str] | None = None):
        super().__init__()
        self._round_trip = round_trip  # score each line's round trip (a gate feature; one forward pass a line)
        self._model = model
        model_id(model, dtype)  # checked here, so a bad name or dtype fails before the run
        self._dtype = dtype  # "auto" is resolved where the model loads: the worker's CPU decides
        self._threads = threads  # torch threads in each worker process (None: torch's default)
        self._batch_size = batch_size
        self._max_new_tokens = max_new_tokens
        self._adapters = find_adapters(adapters)  # read here, so a bad folder fails before the run
        # Shadow candidates (`adloc models shadow`): locale -> the candidate's adapter folder, "" for
        # the base model. A request marked with a candidate version runs on it; its line is never shipped.
        shadow = shadow or {}
        self._shadow = {locale: find_adapters({locale: folder})[locale] for locale, folder in shadow.items() if folder}
        self._shadow_base = frozenset(locale for locale, folder in shadow.items() if not folder)
        # Every adapter the model carries, by name: the locales' own, then the shadow candidates'.
        self._loaded = {**{locale: path for locale, (path, _) in self._adapters.items()},
                        **{f"shadow-{locale}": path for locale, (path, _) in self._shadow.items()}}

    def adapter_folders(self) -> dict[str, str]:
        """locale -> the adapter folder used for it."""
        return {locale: path for locale, (path, _) in self._adapters.items()}

    def model_id_for(self, locale: str, base_id: str | None = None) -> str:
        """The id recorded for outputs of `locale`: the base model, plus its locale adapter if any."""
        base_id = base_id or self.base_id()
        return f"{base_id}+{self._adapters[locale][1]}" if locale in self._adapters else base_id

    def shadow_id_for(self, locale: str, base_id: str | None = None) -> str | None:
        """The version a shadow request of `locale` runs (None: no model candidate there)."""
        base_id = base_id or self.base_id()
        if locale in self._shadow:
            return f"{base_id}+{self._shadow[locale][1]}"
        return base_id if locale in self._shadow_base else None

    def _adapter_of(self, request: CopyRequest) -> str:
        """The adapter a request runs on ("" for the base model)."""
        if request.shadow and request.locale in self._shadow:
            return f"shadow-{request.locale}"
        if request.shadow and request.locale in self._shadow_base:
            return ""
        return request.locale if request.locale in self._adapters else ""

    def base_id(self) -> str:
        """The base model's id (`model_id`)."""
        return model_id(self._model, self._dtype)

    def load_model(self) -> LoadedLM:
        use_threads(self._threads)
        tokenizer, model, _, _ = load_causal_lm(self._model, dtype=self._dtype)
        tokenizer.padding_side = "left"
        model = model.eval()
        if self._loaded:
            from peft import PeftModel

            (first, path), *rest = self._loaded.items()
            model = PeftModel.from_pretrained(model, path, adapter_name=first).eval()
            for name, path in rest:
                model.load_adapter(path, adapter_name=name)
        newline = [i for t, i in tokenizer.get_vocab().items() if "\n" in tokenizer.convert_tokens_to_string([t])]
        return LoadedLM(model, tokenizer, self.base_id(), sorted({tokenizer.eos_token_id, *newline}))

    def run_inference(
        self, batch: Sequence[CopyRequest], model: LoadedLM, inference_args: dict | None = None
    ) -> Iterable[PredictionResult]:
        prompts = [
            model.tokenizer.apply_chat_template(build_messages(r), add_generation_prompt=True, tokenize=False)
            for r in batch
        ]
        lengths = [len(model.tokenizer(p)["input_ids"]) for p in prompts]
        # Rows share a batch only with rows of the same adapter and length bucket: fixed shapes,
        # so a row's output never depends on its companions.
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for i, (request, n) in enumerate(zip(batch, lengths, strict=True)):
            adapter = self._adapter_of(request)
            groups[(adapter, math.ceil(n / LENGTH_BUCKET) * LENGTH_BUCKET)].append(i)
        results: dict[int, Generation] = {}
        for (adapter, bucket), rows in sorted(groups.items()):
            for start in range(0, len(rows), self._batch_size):
                chunk = rows[start : start + self._batch_size]
                try:
                    with model.lock, self._adapter(model, adapter):
                        generations = self._generate([prompts[i] for i in chunk], bucket, model,
                                                     [_masked_budget(batch[i]) for i in chunk])
                except (RuntimeError, ValueError) as exc:  # e.g. out of memory: these lines take the fallback
                    generations = [Generation("", 0.0, 0, f"generation failed: {exc}")] * len(chunk)
                for i, generation in zip(chunk, generations, strict=True):
                    results[i] = replace(generation, text=unmask(batch[i], generation.text))
                    if self._round_trip and results[i].text and not results[i].error:
                        try:
                            with model.lock, self._adapter(model, adapter):
                                back = self._back_logprobs(model, batch[i], results[i].text)
                        except (RuntimeError, ValueError):  # the line stands; only this feature is missing
                            back = ()
                        results[i] = replace(results[i], back_logprobs=back)
        return [PredictionResult(r, results[i], (self.shadow_id_for(r.locale, model.model_id) if r.shadow else None)
                                 or self.model_id_for(r.locale, model.model_id))
                for i, r in enumerate(batch)]

    @contextmanager
    def _adapter(self, lm: LoadedLM, adapter: str):
        """The locale's adapter active, or, with adapters loaded, none of them."""
        if not self._loaded:
            yield
        elif adapter:
            lm.model.set_adapter(adapter)
            yield
        else:
            with lm.model.disable_adapter():
                yield

    def _generate(self, prompts: list[str], length: int, lm: LoadedLM, budgets: list[int]) -> list[Generation]:
        import torch
        from transformers import StoppingCriteriaList

        n = len(prompts)
        padded = prompts + [prompts[0]] * (self._batch_size - n)
        enc = lm.tokenizer(padded, return_tensors="pt", padding="max_length", max_length=length).to(lm.model.device)
        over = OverBudget(lm.tokenizer, length, budgets + [budgets[0]] * (self._batch_size - n))
        with torch.no_grad():
            out = lm.model.generate(
                **enc,
                max_new_tokens=self._max_new_tokens,
                do_sample=False,
                eos_token_id=lm.stop_ids,
                pad_token_id=lm.tokenizer.pad_token_id,
                stopping_criteria=StoppingCriteriaList([over]),
                output_scores=True,
                return_dict_in_generate=True,
            )
        new_tokens = out.sequences[:, enc["input_ids"].shape[1] :]
        logprobs = torch.stack(out.scores, dim=1).float().log_softmax(-1)
        top2 = logprobs.topk(2, dim=-1).values
        generations = []
        for row in range(n):
            tokens, chosen, margins, stopped = [], [], [], False
            for step, token in enumerate(new_tokens[row].tolist()):
                if token in lm.stop_ids:
                    stopped = True
                    break
                tokens.append(token)
                chosen.append(round(float(logprobs[row, step, token]), 4))
                margins.append(round(float(top2[row, step, 0] - top2[row, step, 1]), 4))
            # A row that `OverBudget` ended is padded while its batch goes on: the padding is not its line.
            while not stopped and tokens and tokens[-1] == lm.tokenizer.pad_token_id:
                tokens.pop(), chosen.pop(), margins.pop()
            confidence = math.exp(sum(chosen) / len(tokens)) if tokens else 0.0
            text = lm.tokenizer.decode(tokens, skip_special_tokens=True).strip()
            # A line that never ended was cut at the token budget: not a line to check, let alone ship.
            # One cut at its character budget is checked: the length check says why it cannot ship.
            error = "" if stopped or len(text) > budgets[row] else f"cut off after {len(tokens)} tokens without ending"
            generations.append(Generation(text, round(confidence, 4), len(tokens), error,
                                          tuple(chosen), tuple(margins)))
        return generations

    def _back_logprobs(self, lm: LoadedLM, request: CopyRequest, text: str) -> tuple[float, ...]:
        """Log-probability of each token of the source, given the model's line to translate back
        (one forward pass of this row alone, so it never depends on other rows)."""
        import torch

        messages = back_messages(request, text)
        prompt = lm.tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, tokenize=False)
        answer = lm.tokenizer(messages[-1]["content"], add_special_tokens=False)["input_ids"]
        start = lm.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
        ids = torch.cat([start, torch.tensor([answer])], dim=1).to(lm.model.device)
        with torch.no_grad():
            logits = lm.model(input_ids=ids).logits[0, start.shape[1] - 1 : -1].float().log_softmax(-1)
        return tuple(round(float(logits[k, token]), 4) for k, token in enumerate(answer))

    @property
    def rows_per_call(self) -> int:
        return self._batch_size * BATCHES_PER_CALL

    def batch_elements_kwargs(self) -> dict:
        # Fixed, not Beam's adaptive sizes (which start at 1): every call gets rows_per_call rows
        # (the end of a bundle, fewer), grouped by shape into full batches where there are enough.
        return {"min_batch_size": self.rows_per_call, "max_batch_size": self.rows_per_call}

    def get_metrics_namespace(self) -> str:
        return "adloc_copy_model"

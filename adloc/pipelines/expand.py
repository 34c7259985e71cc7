"""Expansion: a validated job becomes its work items, one per creative × template × locale, after
checking against the asset database that every template and text slot it names exists."""

from __future__ import annotations

from adloc.assets_db.engine import engine_for
from adloc.assets_db.queries import templates
from adloc.jobspec import Job, JobSpecError
from adloc.records import WorkItem
from adloc.template import for_locale


def expand(job: Job, source: str, db_url: str, run_date: str) -> list[WorkItem]:
    """One work item per creative × template × locale, after checking templates and slots exist."""
    wanted = {t for c in job.creatives for t in c.templates}
    found = templates(engine_for(db_url), wanted)
    errors = []
    for i, creative in enumerate(job.creatives):
        for j, template_id in enumerate(creative.templates):
            where = f"creatives[{i}].template" + (f"[{j}]" if isinstance(creative.template, list) else "")
            template = found.get(template_id)
            if template is None:
                errors.append(f"{where}: template {template_id!r} is not in the asset database "
                              "(import it with `adloc assets import-catalog FOLDER`)")
                continue
            slot_names = [s.name for s in template.text_slots]
            for slot in creative.copy_:
                if slot not in slot_names:
                    errors.append(f"creatives[{i}].copy.{slot}: template {template_id!r} has no text slot {slot!r} "
                                  f"(slots: {', '.join(slot_names)})")
    if errors:
        raise JobSpecError(source, errors)
    items = [
        WorkItem(
            job=job.job, brand=job.brand, channel=job.channel, creative=creative.id,
            template=for_locale(found[template_id], locale), locale=locale, copy=dict(creative.copy_),
            values=creative.values_for(locale), keep_terms=tuple(job.keep_terms),
            talent_tags=tuple(creative.talent.tags), run_date=run_date, formality=job.formality.get(locale),
        )
        for creative in job.creatives
        for template_id in creative.templates
        for locale in job.locales
    ]
    return sorted(items, key=lambda item: item.key)

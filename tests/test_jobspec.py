"""Job spec v1: valid jobs parse; every problem is reported with its field path."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from adloc.jobspec import JobSpecError, load_job, parse_job
from adloc.money import Money
from adloc.records import Formality

VALID = {
    "job": "spring-coffee-2027",
    "brand": "Acme Coffee",
    "channel": "social",
    "locales": ["pt-PT", "de-DE", "fr-FR", "es-MX", "ar-AE"],
    "keep_terms": ["Acme"],
    "formality": {"pt-PT": "formal", "de-DE": "informal", "fr-FR": "formal", "es-MX": "informal"},
    "creatives": [
        {
            "id": "morning-hero",
            "template": "morning-square",
            "talent": {"tags": ["barista"]},
            "copy": {
                "headline": "Start your morning with Acme coffee",
                "cta": "Order now for {price}",
            },
            "values": {"price": {"pt-PT": {"amount": 2.49, "currency": "EUR"},
                                 "de-DE": {"amount": 3.49, "currency": "EUR"},
                                 "fr-FR": {"amount": 3.90, "currency": "EUR"},
                                 "es-MX": {"amount": 65, "currency": "MXN"},
                                 "ar-AE": {"amount": 18, "currency": "AED"}}},
        },
        {
            "id": "afternoon-break",
            "template": "summer-banner",
            "copy": {
                "headline": "Take a break with an iced coffee",
                "cta": "Only {price} this week",
            },
            "values": {"price": {"pt-PT": {"amount": 1.99, "currency": "EUR"},
                                 "de-DE": {"amount": 2.99, "currency": "EUR"},
                                 "fr-FR": {"amount": 2.99, "currency": "EUR"},
                                 "es-MX": {"amount": 49, "currency": "MXN"},
                                 "ar-AE": {"amount": 14, "currency": "AED"}}},
        },
        {
            "id": "weekend-treat",
            "template": ["morning-square", "summer-banner"],
            "talent": {"tags": ["smiling"]},
            "copy": {"headline": "Coffee and a donut for the weekend", "cta": "Two for {price}"},
            "values": {"price": {"pt-PT": {"amount": 4.50, "currency": "EUR"},
                                 "de-DE": {"amount": 5.50, "currency": "EUR"},
                                 "fr-FR": {"amount": 5.90, "currency": "EUR"},
                                 "es-MX": {"amount": 99, "currency": "MXN"},
                                 "ar-AE": {"amount": 25, "currency": "AED"}}},
        },
    ],
}


def job(**changes) -> dict:
    data = copy.deepcopy(VALID)
    data.update(changes)
    return data


def errors_of(data: object) -> list[str]:
    with pytest.raises(JobSpecError) as info:
        parse_job(data, "job.yaml")
    assert info.value.source == "job.yaml"
    assert str(info.value).startswith("job.yaml: invalid job spec\n")
    return info.value.errors


def test_valid_job_parses():
    parsed = parse_job(copy.deepcopy(VALID))
    assert parsed.job == "spring-coffee-2027"
    assert parsed.channel == "social"
    assert parsed.locales == ["pt-PT", "de-DE", "fr-FR", "es-MX", "ar-AE"]
    assert [c.id for c in parsed.creatives] == ["morning-hero", "afternoon-break", "weekend-treat"]
    assert parsed.creatives[0].copy_["cta"] == "Order now for {price}"
    assert parsed.creatives[0].values_for("es-MX") == {"price": Money(Decimal(65), "MXN")}
    assert parsed.creatives[0].values_for("fr-FR") == {"price": Money(Decimal("3.9"), "EUR")}
    assert parsed.creatives[0].talent.tags == ["barista"]
    assert parsed.creatives[1].talent.tags == []
    assert parsed.creatives[2].templates == ["morning-square", "summer-banner"]
    assert parsed.creatives[0].templates == ["morning-square"]


def test_example_job_file_loads():
    """The demo job is VALID with Japan and Israel added, priced in yen and shekels."""
    path = Path(__file__).resolve().parents[1] / "examples" / "jobs" / "spring-coffee.yaml"
    expected = job(locales=[*VALID["locales"], "ja-JP", "he-IL"])
    for creative, yen, shekels in zip(expected["creatives"], (480, 350, 780), (12.90, 9.90, 19.90)):
        creative["values"]["price"] |= {"ja-JP": {"amount": yen, "currency": "JPY"},
                                        "he-IL": {"amount": shekels, "currency": "ILS"}}
    assert load_job(path) == parse_job(expected)


def test_load_job_round_trip(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(VALID, allow_unicode=True), encoding="utf-8")
    assert load_job(path) == parse_job(copy.deepcopy(VALID))


def test_unknown_top_level_key():
    assert errors_of(job(brnad="Acme")) == ["brnad: unknown field"]


def test_unknown_key_in_a_creative():
    data = job()
    data["creatives"][1]["tempalte"] = "summer-banner"
    assert errors_of(data) == ["creatives[1].tempalte: unknown field"]


def test_copy_is_a_free_mapping():
    data = job()
    data["creatives"][0]["copy"]["subline"] = "Fresh every day"
    assert parse_job(data).creatives[0].copy_["subline"] == "Fresh every day"


@pytest.mark.parametrize("bad", ["Spring-Coffee", "spring_coffee", "-spring", "a" * 65, ""])
def test_bad_job_id(bad):
    assert errors_of(job(job=bad)) == [
        f"job: {bad!r} is not a valid id: use lower-case letters, digits and '-', up to 64"
    ]


def test_bad_creative_id():
    data = job()
    data["creatives"][2]["id"] = "Weekend Treat"
    (error,) = errors_of(data)
    assert error.startswith("creatives[2].id: 'Weekend Treat' is not a valid id")


def test_unknown_channel():
    (error,) = errors_of(job(channel="radio"))
    assert error.startswith("channel: 'radio' is not one of: ")
    for channel in ("social", "display", "print", "ooh"):
        assert repr(channel) in error


def test_unknown_locale():
    (error,) = errors_of(job(locales=["pt-PT", "xx-YY"]))
    assert error.startswith("locales: unknown locale 'xx-YY'")


def test_locale_without_region():
    (error,) = errors_of(job(locales=["pt"]))
    assert error.startswith("locales: locale 'pt' names no region")


def test_repeated_locale():
    (error,) = errors_of(job(locales=["pt-PT", "pt-PT"]))
    assert error.startswith("locales: locales must not repeat")


def test_repeated_creative_id():
    data = job()
    data["creatives"][2]["id"] = "morning-hero"
    assert errors_of(data) == ["creatives[2].id: 'morning-hero' is used by another creative"]


def test_placeholder_without_value():
    data = job()
    data["creatives"][1]["values"] = {}
    assert errors_of(data) == [
        "creatives[1].copy.cta: placeholder {price} has no value in creatives[1].values"
    ]


def test_empty_template_list():
    data = job()
    data["creatives"][0]["template"] = []
    (error,) = errors_of(data)
    assert error.startswith("creatives[0].template: must name at least one template")


def test_multiple_errors_reported_at_once():
    data = job(brnad="Acme", channel="tv")
    del data["brand"]
    del data["creatives"][0]["template"]
    errors = errors_of(data)
    assert set(errors) == {
        "brand: required field is missing",
        "brnad: unknown field",
        "channel: 'tv' is not one of: 'social', 'display', 'print' or 'ooh'",
        "creatives[0].template: required field is missing",
    }
    assert len(errors) == 4


def test_multiple_semantic_errors_reported_at_once():
    data = job()
    data["creatives"][1]["id"] = "morning-hero"
    data["creatives"][0]["values"] = {}
    data["creatives"][2]["values"] = {}
    assert errors_of(data) == [
        "creatives[0].copy.cta: placeholder {price} has no value in creatives[0].values",
        "creatives[1].id: 'morning-hero' is used by another creative",
        "creatives[2].copy.cta: placeholder {price} has no value in creatives[2].values",
    ]


@pytest.mark.parametrize("data", [None, ["job"], "job: x"])
def test_document_must_be_a_mapping(data):
    assert errors_of(data) == ["the job spec must be a mapping of fields"]


def test_load_job_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(JobSpecError) as info:
        load_job(path)
    assert info.value.source == str(path)
    assert str(info.value).startswith(f"{path}: invalid job spec")
    (error,) = info.value.errors
    assert error.startswith("cannot read the file")


def test_load_job_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("job: spring\ncreatives: [unclosed\n", encoding="utf-8")
    with pytest.raises(JobSpecError) as info:
        load_job(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)
    (error,) = info.value.errors
    assert error.startswith("not valid YAML")


def test_load_job_reports_validation_errors_with_the_file_name(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("job: BAD\n", encoding="utf-8")
    with pytest.raises(JobSpecError) as info:
        load_job(path)
    assert info.value.source == str(path)
    assert "job: 'BAD' is not a valid id" in info.value.errors[0]


def test_locales_are_canonicalized_and_repeats_caught_after_that():
    from adloc.jobspec import JobSpecError, parse_job

    base = {"job": "j", "brand": "B", "channel": "social", "creatives": [
        {"id": "c", "template": "t", "copy": {"headline": "Hi"}}]}
    assert parse_job({**base, "locales": ["de-de", "PT-pt"]}).locales == ["de-DE", "pt-PT"]
    with pytest.raises(JobSpecError) as info:
        parse_job({**base, "locales": ["de-DE", "de-de"]})
    assert "locales: locales must not repeat: de-DE" in str(info.value)


def test_a_template_named_twice_is_an_error():
    from adloc.jobspec import JobSpecError, parse_job

    spec = {"job": "j", "brand": "B", "channel": "social", "locales": ["de-DE"], "creatives": [
        {"id": "c", "template": ["t", "t"], "copy": {"headline": "Hi"}}]}
    with pytest.raises(JobSpecError) as info:
        parse_job(spec)
    assert "creatives[0].template: names a template more than once" in str(info.value)


def test_a_huge_value_made_of_yaml_aliases_is_shown_short():
    import yaml

    from adloc.jobspec import JobSpecError, parse_job

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]  # 9**9 leaves
    lines += ["job: j", "brand: *a8", "channel: social", "locales: [pt-PT]", "creatives: []"]
    with pytest.raises(JobSpecError) as info:
        parse_job(yaml.safe_load("\n".join(lines)), "bomb.yaml")
    brand = next(e for e in info.value.errors if e.startswith("brand:"))
    assert len(brand) < 1000 and "valid string" in brand


def values_of(values: dict, locales: list[str] | None = None) -> dict:
    data = job(locales=locales or ["pt-PT", "es-MX"])
    data["creatives"] = [dict(data["creatives"][0], values=values)]
    return data


def test_plain_numbers_and_money_for_every_market():
    plain = parse_job(values_of({"price": 4.99})).creatives[0]
    assert plain.values_for("pt-PT") == {"price": 4.99} == plain.values_for("es-MX")
    money = parse_job(values_of({"price": {"amount": 4.99, "currency": "EUR"}})).creatives[0]
    assert money.value_for("price", "es-MX") == Money(Decimal("4.99"), "EUR")


def test_each_market_its_own_price_and_locale_keys_read_as_tags():
    creative = parse_job(values_of({"price": {"pt-pt": {"amount": 2.49, "currency": "EUR"},
                                               "es-MX": {"amount": "65", "currency": "MXN"}}})).creatives[0]
    assert creative.value_for("price", "pt-PT") == Money(Decimal("2.49"), "EUR")
    assert creative.value_for("price", "es-MX") == Money(Decimal(65), "MXN")


def test_a_market_without_the_price_its_copy_needs_is_named():
    data = values_of({"price": {"pt-PT": {"amount": 2.49, "currency": "EUR"}}}, ["pt-PT", "es-MX", "ar-AE"])
    assert errors_of(data) == [("creatives[0].values.price: no value for es-MX, ar-AE: the copy's {price} needs "
                                "one in every locale of the job")]


def test_a_market_price_the_copy_does_not_use_is_not_required():
    data = values_of({"price": 4.99, "date": {"pt-PT": "1 de maio"}})
    assert parse_job(data).creatives[0].values_for("es-MX") == {"price": 4.99}


@pytest.mark.parametrize("value, error", [
    ({"amount": 4.99, "currency": "XYZ"},
     "creatives[0].values.price.currency: not a currency code: use an ISO 4217 code such as EUR, USD or MXN (got 'XYZ')"),
    ({"amount": 4.99, "currency": "eur"},
     "creatives[0].values.price.currency: not a currency code: use an ISO 4217 code such as EUR, USD or MXN (got 'eur')"),
    ({"amount": 4.99}, "creatives[0].values.price.currency: required field is missing"),
    ({"amount": -1, "currency": "EUR"}, "creatives[0].values.price.amount: Input should be greater than or equal to 0 (got -1)"),
    ({"amount": 1, "currency": "EUR", "vat": 0.2}, "creatives[0].values.price.vat: unknown field"),
    ({"pt-PT": 1, "xx-YY": 2}, ("creatives[0].values.price.xx-YY: unknown locale 'xx-YY': expected a BCP 47 tag such as "
                               "'pt-PT' (got 'xx-YY')")),
    ({"pt-PT": {"amount": 1, "currency": "EUR"}, "es-MX": {"amount": 2, "currency": "MXX"}},
     "creatives[0].values.price.es-MX.currency: not a currency code: use an ISO 4217 code such as EUR, USD or MXN (got 'MXX')"),
    ([1, 2], ("creatives[0].values.price: must be text, a number, money such as {amount: 4.99, currency: EUR}, "
             "or a mapping from locale to one of those (got [1, 2])")),
    ({"pt-PT": [1], "es-MX": 2}, ("creatives[0].values.price.pt-PT: must be text, a number, money such as "
                                  "{amount: 4.99, currency: EUR} (got [1])")),
    ({}, ("creatives[0].values.price: an empty mapping: give each locale's value (e.g. pt-PT: {amount: 4.99, "
         "currency: EUR})")),
    ("4.99\x00", "creatives[0].values.price: '4.99\\x00' holds a control character: text may hold tabs and newlines only"),
    (True, ("creatives[0].values.price: must be text, a number, money such as {amount: 4.99, currency: EUR}, "
           "or a mapping from locale to one of those (got True)")),
])
def test_a_bad_value_names_its_field_and_what_is_wrong(value, error):
    assert errors_of(values_of({"price": value})) == [error]


def test_formality_per_locale():
    parsed = parse_job(job(formality={"de-de": "formal"}))
    assert parsed.formality == {"de-DE": Formality.FORMAL}
    assert errors_of(job(formality={"de-DE": "casual"})) == [
        "formality.de-DE: 'casual' is not one of: 'formal' or 'informal'"]

"""Turn validated rubric data into a :class:`Rubric`, checking what spans pieces.

Per-piece validation (each section, each item and its detector options) and
the checks across pieces (unique ids, references, cycles, weights) all record
problems in one :class:`~qa_toolkit.rubric.problems.Problems`, so the user sees
everything wrong with the file at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from qa_toolkit.errors import did_you_mean
from qa_toolkit.rubric.detectors import resolve_detector
from qa_toolkit.rubric.problems import Loc, Problems, render_path
from qa_toolkit.rubric.schema import (
    Event,
    EventSpec,
    Item,
    ItemSpec,
    Rubric,
    RubricSpec,
    Section,
    SectionSpec,
)

DEFAULT_BANDS = {"excellent": 90.0, "good": 75.0, "needs_improvement": 60.0}
WEIGHT_TOTAL = 100.0


def build_rubric(data: Any, problems: Problems) -> Rubric | None:
    """Validate rubric data piece by piece; ``None`` when any problem was recorded."""
    if not isinstance(data, dict):
        problems.add((), "a rubric is a mapping with schema, id, version and sections")
        return None
    header = problems.validate(RubricSpec, data, ())
    events = _build_events(data.get("events"), problems)
    raw_sections = data.get("sections")
    sections = []
    if isinstance(raw_sections, list):
        sections = [
            _build_section(raw, ("sections", i), problems) for i, raw in enumerate(raw_sections)
        ]
    built = [s for s in sections if s is not None]
    _check_unique_ids(data, problems)
    order = _check_references(data, problems, _option_references(events, built))
    weighted = _resolve_weights(built, raw_sections, problems)
    taxonomy = _check_topics(data, problems)
    if problems.found or not isinstance(header, RubricSpec):
        return None
    bands = header.bands or DEFAULT_BANDS
    return Rubric(
        id=header.id,
        version=str(header.version),
        title=header.title or header.id,
        languages=tuple(header.languages),
        bands=tuple(sorted(bands.items(), key=lambda kv: -kv[1])),
        flag_below=header.flag_below,
        flag_dissatisfied_below=header.flag_dissatisfied_below,
        events=tuple(events.values()),
        sections=tuple(weighted),
        order=order,
        source=problems.origin,
        taxonomy=taxonomy,
    )


def _check_topics(data: dict[str, Any], problems: Problems) -> str | None:
    """The taxonomy the rubric names, resolved, with every ``applies_if.topic`` found in it."""
    uses = [(loc, body["applies_if"]["topic"]) for _, loc, body in _raw_nodes(data)
            if isinstance(body.get("applies_if"), dict)
            and isinstance(body["applies_if"].get("topic"), str)]  # fmt: skip
    value = data.get("taxonomy")
    if not isinstance(value, str):
        for loc, _ in uses:
            problems.add((*loc, "applies_if", "topic"), "a topic condition needs the rubric's "
                         "taxonomy: add 'taxonomy: FILE' at the top")  # fmt: skip
        return None
    options = resolve_detector("topic").options
    try:
        path, ids = options.taxonomy_ids(value, problems.context["rubric_dir"])  # type: ignore[attr-defined]
    except ValueError as error:
        problems.add(("taxonomy",), str(error))
        return None
    for loc, topic in uses:
        if topic not in ids:
            problems.add(
                (*loc, "applies_if", "topic"),
                f"no topic {topic!r} in {value}{did_you_mean(topic, list(ids))}",
            )
    return str(path)


def _split_options(
    raw: dict[str, Any], spec_model: type[BaseModel], loc: Loc, problems: Problems
) -> tuple[dict[str, Any], BaseModel | None, str]:
    """Split an item's keys into common fields and detector options; validate the options."""
    common = {k: v for k, v in raw.items() if k in spec_model.model_fields}
    extra = {k: v for k, v in raw.items() if k not in spec_model.model_fields}
    name = raw.get("detector")
    if not isinstance(name, str):
        return common, None, ""
    try:
        info = resolve_detector(name)
    except KeyError as exc:
        problems.add((*loc, "detector"), str(exc.args[0]))
        return common, None, ""
    names = tuple(spec_model.model_fields)
    options = problems.validate(info.options, extra, loc, extra_names=names)
    return common, options, info.key


def _build_events(raw: Any, problems: Problems) -> dict[str, Event]:
    events: dict[str, Event] = {}
    if not isinstance(raw, dict):
        return events
    for event_id, body in raw.items():
        loc: Loc = ("events", event_id)
        if not isinstance(body, dict):
            problems.add(loc, "an event is a mapping with a detector and its options")
            continue
        common, options, key = _split_options(body, EventSpec, loc, problems)
        spec = problems.validate(EventSpec, common, loc)
        if isinstance(spec, EventSpec) and options is not None:
            title = spec.title or str(event_id)
            events[str(event_id)] = Event(
                str(event_id), title, key, options, spec.speaker, spec.window
            )
    return events


def _build_section(raw: Any, loc: Loc, problems: Problems) -> Section | None:
    if not isinstance(raw, dict):
        problems.add(loc, "a section is a mapping with id, weight and items")
        return None
    spec = problems.validate(SectionSpec, raw, loc)
    items_raw = raw.get("items")
    section_id = str(raw.get("id", ""))
    items = []
    if isinstance(items_raw, list):
        for i, item_raw in enumerate(items_raw):
            items.append(_build_item(item_raw, (*loc, "items", i), section_id, problems))
    if not isinstance(spec, SectionSpec) or any(item is None for item in items):
        return None
    # A missing weight is resolved later, once every section is known.
    weight = -1.0 if spec.weight is None else spec.weight
    done = tuple(item for item in items if item is not None)
    return Section(spec.id, spec.title or spec.id, weight, done)


def _build_item(raw: Any, loc: Loc, section_id: str, problems: Problems) -> Item | None:
    if not isinstance(raw, dict):
        problems.add(loc, "an item is a mapping with id, detector, points and options")
        return None
    common, options, key = _split_options(raw, ItemSpec, loc, problems)
    spec = problems.validate(ItemSpec, common, loc)
    if not isinstance(spec, ItemSpec) or options is None:
        return None
    return Item(
        id=spec.id,
        section_id=section_id,
        title=spec.title or spec.id,
        detector=key,
        options=options,
        speaker=spec.speaker,
        window=spec.window,
        points=spec.points,
        critical=spec.critical,
        applies_if=spec.applies_if,
        category=spec.category,
        hint=spec.hint,
    )


# node id → (the option that names them, [(kind, id)]) for detectors that read
# other items' or events' results (a classifier's ``item:greeting`` input).
OptionRefs = dict[str, tuple[str, list[tuple[str, str]]]]


def _option_references(events: dict[str, Event], sections: list[Section]) -> OptionRefs:
    """The ids that detector options read, for options that say so.

    A detector's options model may define ``rubric_references()`` returning
    ``(option name, ((kind, id), ...))`` with kind ``item`` or ``event``; those
    ids are checked like ``applies_if`` and scored before the node.
    """
    found: OptionRefs = {}
    nodes: list[Event | Item] = [*events.values(), *(i for s in sections for i in s.items)]
    for node in nodes:
        refs = getattr(node.options, "rubric_references", None)
        if callable(refs):
            field_name, ids = refs()
            found[node.id] = (str(field_name), [(str(k), str(i)) for k, i in ids])
    return found


def _raw_items(data: dict[str, Any]) -> dict[str, tuple[Loc, dict[str, Any]]]:
    """Item id → its location in the file and raw mapping (the first of a repeated id)."""
    found: dict[str, tuple[Loc, dict[str, Any]]] = {}
    sections = data.get("sections")
    for s_index, section in enumerate(sections if isinstance(sections, list) else []):
        items = section.get("items") if isinstance(section, dict) else None
        for i_index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                found.setdefault(item["id"], (("sections", s_index, "items", i_index), item))
    return found


def _check_unique_ids(data: dict[str, Any], problems: Problems) -> None:
    seen: dict[str, Loc] = {}
    events = data.get("events")
    for event_id in events if isinstance(events, dict) else {}:
        seen[str(event_id)] = ("events", event_id)
    sections = data.get("sections")
    section_ids: set[str] = set()
    for s_index, section in enumerate(sections if isinstance(sections, list) else []):
        if not isinstance(section, dict):
            continue
        sid = section.get("id")
        if isinstance(sid, str):
            if sid in section_ids:
                problems.add(("sections", s_index, "id"), f"section id {sid!r} is used twice")
            section_ids.add(sid)
        items = section.get("items")
        for i_index, item in enumerate(items if isinstance(items, list) else []):
            iid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(iid, str):
                continue
            loc: Loc = ("sections", s_index, "items", i_index, "id")
            if iid in seen:
                first = render_path(seen[iid])
                problems.add(loc, f"id {iid!r} is already used by {first}; ids must be unique")
            else:
                seen[iid] = loc[:-1]


def _raw_nodes(data: dict[str, Any]) -> list[tuple[str, Loc, dict[str, Any]]]:
    """Every event and item (repeated ids included) with its location and raw mapping."""
    nodes: list[tuple[str, Loc, dict[str, Any]]] = []
    events = data.get("events")
    for event_id, body in (events if isinstance(events, dict) else {}).items():
        if isinstance(body, dict):
            nodes.append((str(event_id), ("events", event_id), body))
    sections = data.get("sections")
    for s_index, section in enumerate(sections if isinstance(sections, list) else []):
        items = section.get("items") if isinstance(section, dict) else None
        for i_index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                nodes.append((item["id"], ("sections", s_index, "items", i_index), item))
    return nodes


def _references(body: dict[str, Any]) -> list[tuple[Loc, str, str]]:
    """(location below the node, kind, id) for every id a raw node refers to."""
    refs: list[tuple[Loc, str, str]] = []
    window, applies = body.get("window"), body.get("applies_if")
    if isinstance(window, dict) and isinstance(window.get("after"), str):
        refs.append((("window", "after"), "any", window["after"]))
    for kind in ("event", "item"):
        if isinstance(applies, dict) and isinstance(applies.get(kind), str):
            refs.append((("applies_if", kind), kind, applies[kind]))
    return refs


def _check_references(
    data: dict[str, Any], problems: Problems, option_refs: OptionRefs
) -> tuple[str, ...]:
    """Check that every reference names an event or item; return a dependency order."""
    nodes = _raw_nodes(data)
    events = data.get("events")
    event_ids = sorted(map(str, events)) if isinstance(events, dict) else []
    item_ids = sorted(_raw_items(data))
    names = {"event": event_ids, "item": item_ids, "any": sorted(event_ids + item_ids)}
    what = {"event": "event", "item": "item", "any": "item or event"}
    graph: dict[str, list[str]] = {}
    locs: dict[str, Loc] = {}
    for node_id, loc, body in nodes:
        graph.setdefault(node_id, [])
        locs.setdefault(node_id, loc)
        refs = _references(body)
        if node_id in option_refs and locs[node_id] == loc:
            field_name, ids = option_refs[node_id]
            refs += [((field_name,), kind, target) for kind, target in ids]
        for sub, kind, target in refs:
            if target not in names[kind]:
                hint = did_you_mean(target, names[kind])
                missing = f"no {what[kind]} {target!r}"
                if sub[0] not in ("window", "applies_if"):
                    missing = f"{sub[0]} reads {kind} {target!r}, which this rubric does not have"
                problems.add((*loc, *sub), missing + hint)
            elif target == node_id:
                problems.add((*loc, *sub), f"{node_id!r} refers to itself")
            else:
                graph[node_id].append(target)
    return _order(graph, locs, problems)


def _order(
    graph: dict[str, list[str]], locs: dict[str, Loc], problems: Problems
) -> tuple[str, ...]:
    """Depth-first order where dependencies come first; a cycle is a problem."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " → ".join([*path[path.index(node) :], node])
            problems.add(locs[node], f"references go round in a circle: {cycle}")
            return
        state[node] = 1
        for target in graph.get(node, []):
            visit(target, [*path, node])
        state[node] = 2
        order.append(node)

    for node in graph:
        visit(node, [])
    return tuple(order)


def _resolve_weights(sections: list[Section], raw: Any, problems: Problems) -> list[Section]:
    """Every section weighted, or none (then each weighs its points); given ones sum to 100."""
    raw_sections = [r for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []
    weights = [r.get("weight") for r in raw_sections]
    if all(w is None for w in weights):
        return [_with_weight(s, sum(i.points for i in s.items)) for s in sections]
    if any(w is None for w in weights):
        for index, section in enumerate(raw if isinstance(raw, list) else []):
            if isinstance(section, dict) and section.get("weight") is None:
                message = "weight missing; give every section a weight, or none"
                problems.add(("sections", index), message)
        return sections
    numbers = [w for w in weights if isinstance(w, int | float) and not isinstance(w, bool)]
    total = sum(numbers)
    if len(numbers) == len(weights) and abs(total - WEIGHT_TOTAL) > 1e-6:
        problems.add(("sections",), f"section weights add up to {total:g}; they must add up to 100")
    return sections


def _with_weight(section: Section, weight: float) -> Section:
    return Section(section.id, section.title, weight, section.items)

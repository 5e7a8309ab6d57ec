"""Rename a conversation's tools and parameters, so that the model reads the schema it is given.

A training tool always called ``convert_currency(amount, from_currency, to_currency)`` teaches the
names by heart; a tool never seen before (``get_exchange_rate(base, quote)``) then gets arguments
in the habits of the familiar one. :func:`vary_schemas` gives some of a conversation's tools other,
equally plausible names (``fetch_weather(location, units)``, ``convertCurrency(sourceCurrency,
...)``) and renames them everywhere in the record: the offered schemas, the assistant's calls, the
tool messages and ``expected_calls``. The words of the conversation do not change.

No name used only by a held-out tool is ever produced (checked at import).

Example:
    >>> import random
    >>> from tool_catalog import TOOLS
    >>> record = {
    ...     "tools": [TOOLS["get_weather"].schema()],
    ...     "messages": [{"role": "user", "content": "Weather in Oslo?"},
    ...                  {"role": "assistant", "content": "", "tool_calls": [{"id": "call_0",
    ...                   "type": "function",
    ...                   "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]}],
    ...     "expected_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}],
    ... }
    >>> varied = vary_schemas(record, random.Random(1), share=1.0)
    >>> call = varied["messages"][1]["tool_calls"][0]["function"]
    >>> call["name"] == varied["tools"][0]["function"]["name"] != "get_weather"
    True
    >>> list(call["arguments"].values()), list(call["arguments"]) != ["city"]
    (['Oslo'], True)
"""

from __future__ import annotations

import copy
import random
from typing import Any

from tool_catalog import EXTRA_TRAIN_TOOLS, HELD_OUT_TOOLS, TRAIN_TOOLS

VERBS: dict[str, list[str]] = {
    "get": ["fetch", "lookup", "retrieve", "query"],
    "search": ["find", "lookup"],
    "find": ["search", "locate"],
    "create": ["new", "add", "make"],
    "add": ["append", "create", "insert"],
    "send": ["post", "dispatch", "deliver"],
    "set": ["configure", "start"],
    "book": ["reserve"],
    "list": ["show", "get"],
    "calculate": ["compute", "calc"],
    "convert": ["transform"],
    "check": ["verify", "lookup"],
    "play": ["start", "queue"],
    "order": ["request", "buy"],
    "register": ["enroll", "signup"],
    "update": ["change", "set"],
    "read": ["open", "load"],
    "write": ["save", "store"],
    "delete": ["remove", "erase"],
    "rename": ["move"],
    "share": ["grant"],
    "lookup": ["define", "get"],
    "log": ["record", "track"],
    "transfer": ["move"],
    "reserve": ["book", "hold"],
    "post": ["submit", "write"],
    "buy": ["purchase", "order"],
    "rent": ["hire", "book"],
    "print": ["queue"],
    "roll": ["throw"],
    "compare": ["rank"],
    "lock": ["secure"],
    "control": ["switch", "set"],
    "summarize": ["shorten", "condense"],
    "spell": ["fix"],
    "reschedule": ["move", "change"],
    "percentage": ["percent"],
}

PARAMS: dict[str, list[str]] = {
    "city": ["location", "city_name", "place"],
    "unit": ["units", "temp_unit"],
    "days": ["num_days", "day_count", "horizon_days"],
    "expression": ["expr", "formula", "math"],
    "percent": ["percentage", "pct", "rate"],
    "value": ["amount", "quantity", "number"],
    "from_unit": ["source_unit", "unit_from", "input_unit"],
    "to_unit": ["target_unit", "unit_to", "output_unit"],
    "amount": ["sum", "value", "total"],
    "from_currency": ["source_currency", "currency_from", "have"],
    "to_currency": ["target_currency", "currency_to", "want"],
    "query": ["q", "search_terms", "keywords"],
    "max_results": ["limit", "num_results", "top_k"],
    "safe_search": ["safe", "filter_adult"],
    "topic": ["subject", "about"],
    "language": ["lang", "locale"],
    "title": ["heading", "summary", "label"],
    "date": ["day", "on_date", "when"],
    "time": ["at", "start_time", "hour"],
    "attendees": ["participants", "guests", "invitees"],
    "path": ["file_path", "filename", "file"],
    "content": ["contents", "body", "data"],
    "append": ["append_mode", "add_to_end"],
    "directory": ["folder", "dir"],
    "recursive": ["include_subfolders", "deep"],
    "to": ["recipient", "to_address", "address"],
    "subject": ["title", "topic_line"],
    "body": ["message", "content"],
    "recipient": ["to", "contact", "receiver"],
    "text": ["message", "content", "input"],
    "minutes": ["duration_minutes", "mins", "duration"],
    "label": ["name", "tag"],
    "song": ["track", "song_title"],
    "artist": ["performer", "band"],
    "shuffle": ["random_order", "shuffled"],
    "origin": ["start", "from_location", "departure"],
    "destination": ["to_location", "end", "arrival"],
    "mode": ["travel_mode", "transport"],
    "cuisine": ["food_type", "kitchen"],
    "max_price": ["price_limit", "budget", "price_cap"],
    "word": ["term", "entry"],
    "task": ["item", "todo"],
    "priority": ["importance", "level"],
    "on": ["power", "turn_on", "enabled"],
    "brightness": ["level", "dim_level"],
    "passengers": ["travelers", "num_passengers", "seats"],
    "check_in": ["arrival_date", "checkin_date", "start_date"],
    "nights": ["num_nights", "stay_length"],
    "guests": ["people", "num_guests", "occupants"],
    "team": ["team_name", "club"],
    "movie": ["film", "movie_title"],
    "bill": ["total", "bill_amount", "check_total"],
    "tip_percent": ["tip_rate", "tip_pct", "tip"],
    "people": ["num_people", "split_between", "diners"],
    "sides": ["faces", "die_sides"],
    "count": ["num_dice", "times", "rolls"],
    "table": ["table_name", "collection"],
    "limit": ["max_rows", "row_limit"],
    "pickup": ["pickup_address", "from_address"],
    "dropoff": ["dropoff_address", "to_address"],
    "ride_type": ["vehicle_type", "service"],
    "activity": ["exercise", "workout"],
    "coin": ["asset", "crypto", "token"],
    "currency": ["vs_currency", "fiat", "in_currency"],
    "tags": ["labels", "keywords"],
    "items": ["products", "things", "entries"],
    "store": ["shop", "retailer"],
    "can_edit": ["editable", "allow_edit", "write_access"],
    "max_words": ["word_limit", "length"],
    "new_name": ["new_filename", "target_name"],
    "stop": ["stop_name", "station"],
    "line": ["route", "bus_line"],
    "product": ["item", "product_name"],
    "stores": ["shops", "retailers"],
    "size": ["pizza_size", "dimension"],
    "toppings": ["extras", "add_ons"],
    "extra_cheese": ["double_cheese", "more_cheese"],
    "door": ["door_name", "entrance"],
    "locked": ["lock", "secure"],
    "from_city": ["source_city", "city_from"],
    "to_city": ["target_city", "city_to"],
    "weight_kg": ["mass_kg", "kilograms"],
    "height_cm": ["stature_cm", "centimeters"],
    "note": ["memo", "comment"],
    "domain": ["domain_name", "hostname"],
    "name": ["title", "label", "display_name"],
    "members": ["participants", "people", "users"],
    "muted": ["silent", "mute"],
    "deadline": ["due_date", "due"],
    "budget": ["funds", "max_spend"],
    "sport": ["discipline", "game"],
    "players": ["roster_size", "team_size"],
    "age_group": ["division", "category"],
    "phone": ["phone_number", "mobile"],
    "email": ["email_address", "mail"],
    "favorite": ["starred", "is_favorite"],
    "species": ["animal", "kind"],
    "age_years": ["age", "years_old"],
    "question": ["prompt", "poll_question"],
    "options": ["choices", "answers"],
    "allow_multiple": ["multi_select", "multiple_choice"],
    "hours_open": ["duration_hours", "open_hours"],
    "travel_class": ["fare_class", "cabin"],
    "pickup_city": ["start_city", "collect_in"],
    "return_city": ["drop_city", "return_in"],
    "car_type": ["vehicle_class", "car_class"],
    "pickup_date": ["start_date", "collect_on"],
    "child_seat": ["baby_seat", "kids_seat"],
    "appointment": ["booking", "appointment_name"],
    "old_date": ["current_date", "from_date"],
    "new_date": ["target_date", "to_date"],
    "from_account": ["source_account", "debit_account"],
    "to_account": ["target_account", "credit_account"],
    "memo": ["note", "reference"],
    "drink": ["beverage", "coffee"],
    "quantity": ["count", "number", "qty"],
    "sugars": ["sugar_count", "sugar"],
    "oat_milk": ["plant_milk", "use_oat_milk"],
    "show": ["event", "performance"],
    "section": ["seating", "area"],
    "client": ["customer", "bill_to"],
    "hours": ["hours_worked", "duration_hours"],
    "rate": ["hourly_rate", "price_per_hour"],
    "due_in_days": ["payment_terms_days", "due_days"],
    "business": ["place", "venue"],
    "stars": ["rating", "score"],
    "visit_date": ["visited_on", "date_of_visit"],
    "emoji": ["icon", "symbol_emoji"],
    "bouquet": ["arrangement", "flowers"],
    "card_message": ["card_text", "note"],
    "delivery_date": ["deliver_on", "ship_date"],
    "document": ["file", "doc"],
    "copies": ["num_copies", "count"],
    "pages": ["page_range", "page_numbers"],
    "color": ["in_color", "colour"],
    "double_sided": ["duplex", "both_sides"],
    "location": ["place", "garage"],
    "start_time": ["from_time", "begin"],
    "vehicle": ["car", "plate"],
    "ev_charging": ["charger", "needs_charging"],
}


def _held_out_only_names() -> set[str]:
    """Names that only held-out tools use: a variant must never produce one."""
    held = {t.name for t in HELD_OUT_TOOLS} | {p.name for t in HELD_OUT_TOOLS for p in t.params}
    trained = {t.name for t in TRAIN_TOOLS + EXTRA_TRAIN_TOOLS}
    trained |= {p.name for t in TRAIN_TOOLS + EXTRA_TRAIN_TOOLS for p in t.params}
    return held - trained


def _check_tables() -> None:
    forbidden = _held_out_only_names()
    produced = {n for names in PARAMS.values() for n in names}
    for tool in TRAIN_TOOLS + EXTRA_TRAIN_TOOLS:
        verb, rest = _split(tool.name)
        produced |= {f"{other}_{rest}" for other in VERBS.get(verb, [])}
        produced |= {f"{tool.name}_tool", f"do_{tool.name}"}
    leaks = {n for n in produced | {_camel(n) for n in produced} if n in forbidden}
    if leaks:
        raise AssertionError(f"variant names used only by held-out tools: {sorted(leaks)}")


def _split(name: str) -> tuple[str, str]:
    verb, _, rest = name.partition("_")
    return verb, rest


def _camel(name: str) -> str:
    """``from_unit`` -> ``fromUnit``."""
    head, *tail = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in tail)


def _tool_name(name: str, rng: random.Random) -> str:
    verb, rest = _split(name)
    if rest and verb in VERBS:
        return f"{rng.choice(VERBS[verb])}_{rest}"
    return f"{name}_tool" if rng.random() < 0.5 else f"do_{name}"


def _renaming(schema: dict[str, Any], rng: random.Random, taken: set[str]) -> tuple[str, dict]:
    """A new function name and ``{old: new}`` parameter names for one tool schema."""
    function = schema["function"]
    camel = rng.random() < 0.3
    style = _camel if camel else (lambda n: n)
    name = style(_tool_name(function["name"], rng))
    if name in taken:
        name = function["name"]
    params: dict[str, str] = {}
    used: set[str] = set()
    old_names = list(function["parameters"]["properties"])
    kept = {style(n) for n in old_names}  # what each name becomes if it is not renamed
    for old in old_names:
        choices = PARAMS.get(old, [])
        new = rng.choice(choices) if choices and rng.random() < 0.7 else old
        new = style(new)
        if new in used or (new in kept and new != style(old)):
            new = style(old)
        used.add(new)
        params[old] = new
    return name, params


def vary_schemas(record: dict[str, Any], rng: random.Random, share: float) -> dict[str, Any]:
    """A copy of ``record`` in which each offered tool, with probability ``share``, has a new
    function name and new parameter names, consistently in schemas, calls and tool results."""
    record = copy.deepcopy(record)
    taken = {t["function"]["name"] for t in record["tools"]}
    renames: dict[str, tuple[str, dict[str, str]]] = {}
    for schema in record["tools"]:
        if rng.random() >= share:
            continue
        old = schema["function"]["name"]
        name, params = _renaming(schema, rng, taken)
        taken.add(name)
        renames[old] = (name, params)
        function = schema["function"]
        function["name"] = name
        parameters = function["parameters"]
        parameters["properties"] = {params[k]: v for k, v in parameters["properties"].items()}
        parameters["required"] = [params[k] for k in parameters["required"]]
    if not renames:
        return record

    def rename_call(name: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if name not in renames:
            return name, arguments
        new, params = renames[name]
        return new, {params[k]: v for k, v in arguments.items()}

    for message in record["messages"]:
        for call in message.get("tool_calls", []):
            function = call["function"]
            function["name"], function["arguments"] = rename_call(
                function["name"], function["arguments"]
            )
        if message["role"] == "tool" and message.get("name") in renames:
            message["name"] = renames[message["name"]][0]
    for call in record.get("expected_calls", []):
        call["name"], call["arguments"] = rename_call(call["name"], call["arguments"])
    return record


_check_tables()

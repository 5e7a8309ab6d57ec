"""The tools, phrasings and small talk that ``make_tool_dataset.py`` draws its examples from.

Each :class:`Tool` is an OpenAI function (name, description, typed parameters) plus what the
generator needs to make examples with it: request phrasings whose ``{slots}`` name parameters
(``asks`` for training, ``eval_asks`` held out), a fake result and answers that quote the result.
Tools in ``HELD_OUT_TOOLS`` never appear in training data, not even as distractors.

Example:
    >>> TOOLS["get_weather"].schema()["function"]["parameters"]["required"]
    ['city']
    >>> sorted(set(TOOLS) & {t.name for t in HELD_OUT_TOOLS})
    []
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Args = dict[str, Any]
Rng = random.Random

# ----------------------------------------------------------------------------------------------
# Value pools
# ----------------------------------------------------------------------------------------------
CITIES = [
    "Paris", "Tokyo", "Berlin", "Madrid", "Rome", "London", "Cairo", "Lima", "Oslo", "Toronto",
    "Sydney", "Mumbai", "Nairobi", "Seoul", "Chicago", "Lisbon", "Vienna", "Dublin", "Denver",
    "Austin", "Boston", "Prague", "Athens", "Bangkok", "Istanbul", "Mexico City", "Buenos Aires",
    "Cape Town", "Helsinki", "Warsaw", "Zurich", "Amsterdam", "Singapore", "Hanoi", "Seattle",
    "Miami", "Osaka", "Montreal", "Lagos", "Santiago",
]  # fmt: skip
PEOPLE = [
    "Alice", "Bob", "Carla", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal",
    "Lena", "Maya", "Noah", "Olga", "Priya", "Rosa", "Sam", "Tara", "Umar", "Vera", "Wei", "Yara",
    "Zoe",
]  # fmt: skip
TOPICS = [
    "electric cars", "the history of the printing press", "sourdough bread recipes",
    "hiking trails near Denver", "the James Webb telescope", "cheap flights to Japan",
    "how vaccines work", "the best budget laptops", "renewable energy in Europe",
    "learning to play chess", "the rules of cricket", "healthy breakfast ideas",
    "quantum computing basics", "the Olympic Games", "indoor plants that need little light",
    "remote work tips", "the Roman Empire", "climate change", "Python web frameworks",
    "marathon training plans",
]  # fmt: skip
EVENTS = [
    "Team standup", "Dentist appointment", "Project review", "Lunch with Sam", "Yoga class",
    "Budget meeting", "Parent-teacher meeting", "Book club", "Flight to Oslo", "Code review",
    "Birthday party", "Job interview",
]  # fmt: skip
TASKS = [
    "buy milk", "call the bank", "water the plants", "pay the rent", "book a haircut",
    "renew my passport", "send the invoice", "pick up the kids", "take out the trash",
    "back up my laptop", "return the library books", "clean the garage",
]  # fmt: skip
SONGS = [
    ("Bohemian Rhapsody", "Queen"), ("Imagine", "John Lennon"), ("Hey Jude", "The Beatles"),
    ("Halo", "Beyonce"), ("Hotel California", "Eagles"), ("Thriller", "Michael Jackson"),
    ("Wonderwall", "Oasis"), ("Rolling in the Deep", "Adele"), ("Shape of You", "Ed Sheeran"),
    ("Dancing Queen", "ABBA"), ("Clocks", "Coldplay"), ("Purple Rain", "Prince"),
]  # fmt: skip
MOVIES = [
    "Inception", "The Matrix", "Dune", "Up", "Coco", "Jaws", "Amelie", "Interstellar", "Heat",
    "Arrival",
]  # fmt: skip
TEAMS = [
    "Arsenal", "the Lakers", "Real Madrid", "the Yankees", "Bayern Munich", "the Celtics",
    "Juventus", "the Packers", "Ajax", "the Warriors",
]  # fmt: skip
FILES = [
    "notes.txt", "report.md", "data/sales.csv", "todo.txt", "config.yaml", "docs/intro.md",
    "logs/app.log", "src/main.py", "budget.xlsx", "letters/cover.txt",
]  # fmt: skip
FOLDERS = ["docs", "src", "photos", "downloads", "projects/web", "data", "music", "backups"]
FILE_TEXTS = [
    "Meeting moved to Friday", "Remember the milk", "Version 2 is ready", "Call Priya back",
    "Total sales: 4200", "Hello world",
]  # fmt: skip
MESSAGES = [
    "I'm running late", "See you at noon", "Happy birthday!", "The report is done",
    "Can we talk tomorrow?", "Dinner is ready",
]  # fmt: skip
CUISINES = ["Italian", "Thai", "Mexican", "Indian", "Japanese", "Greek", "vegan", "Korean"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR"]
WORDS = [
    "serendipity", "ephemeral", "ubiquitous", "meticulous", "resilient", "eloquent",
    "pragmatic", "nostalgia", "candid", "frugal",
]  # fmt: skip
SYMBOLS = ["AAPL", "MSFT", "TSLA", "AMZN", "NVDA", "GOOGL", "META", "IBM"]
INGREDIENTS = [
    "tomatoes", "rice", "chicken", "spinach", "eggs", "mushrooms", "tofu", "potatoes",
    "lentils", "cheese", "garlic", "beans",
]  # fmt: skip
TRANSLATIONS = {
    "Good morning": {"French": "Bonjour", "Spanish": "Buenos días", "German": "Guten Morgen",
                     "Italian": "Buongiorno"},
    "Thank you very much": {"French": "Merci beaucoup", "Spanish": "Muchas gracias",
                            "German": "Vielen Dank", "Italian": "Grazie mille"},
    "See you tomorrow": {"French": "À demain", "Spanish": "Hasta mañana",
                         "German": "Bis morgen", "Italian": "A domani"},
    "Where is the train station?": {"French": "Où est la gare ?",
                                    "Spanish": "¿Dónde está la estación de tren?",
                                    "German": "Wo ist der Bahnhof?",
                                    "Italian": "Dov'è la stazione?"},
    "I love this city": {"French": "J'adore cette ville", "Spanish": "Me encanta esta ciudad",
                         "German": "Ich liebe diese Stadt", "Italian": "Amo questa città"},
}  # fmt: skip
PHRASES = list(TRANSLATIONS)
SPELLING = {
    "I recieve mail": "I receive mail", "Teh cat sat": "The cat sat",
    "a beautifull day": "a beautiful day", "definately yes": "definitely yes",
    "See you tommorow": "See you tomorrow",
}  # fmt: skip
CONDITIONS = ["sunny", "cloudy", "rainy", "windy", "snowy", "foggy", "clear"]
DATES = [f"2025-{m:02d}-{d:02d}" for m in (1, 3, 4, 6, 7, 9, 10, 12) for d in (2, 9, 14, 21, 28)]
TIMES = ["07:30", "08:00", "09:15", "10:00", "11:45", "12:30", "14:00", "15:30", "17:00", "19:45"]

LENGTH_FACTORS = {"meters": 1.0, "kilometers": 1000.0, "miles": 1609.344, "feet": 0.3048}
WEIGHT_FACTORS = {"kilograms": 1.0, "pounds": 0.45359237, "grams": 0.001, "ounces": 0.0283495}
RATES_PER_USD = {
    "USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.3, "CHF": 0.88, "CAD": 1.36, "AUD": 1.52,
    "INR": 83.2,
}  # fmt: skip


def _amount(rng: Rng) -> int | float:
    """A number a person would type: whole most of the time, else one decimal."""
    if rng.random() < 0.7:
        return rng.choice([2, 3, 5, 8, 10, 12, 15, 20, 25, 40, 50, 75, 100, 120, 250, 500])
    return round(rng.uniform(1, 300), 1)


def _pick(pool: Sequence[Any]) -> Callable[[Rng], Any]:
    return lambda rng: rng.choice(pool)


def _some(pool: Sequence[Any], low: int = 2, high: int = 3) -> Callable[[Rng], list[Any]]:
    return lambda rng: rng.sample(list(pool), rng.randint(low, high))


def _ints(low: int, high: int) -> Callable[[Rng], int]:
    return lambda rng: rng.randint(low, high)


# ----------------------------------------------------------------------------------------------
# Tools
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter: JSON type (``string``/``integer``/``number``/``boolean``/``array``), an
    optional ``enum``, and how to draw a value for it."""

    name: str
    type: str
    draw: Callable[[Rng], Any] | None = None
    description: str = ""
    enum: Sequence[str] = ()
    required: bool = True

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.type == "array":
            out["items"] = {"type": "string"}
        if self.enum:
            out["enum"] = list(self.enum)
        if self.description:
            out["description"] = self.description
        return out

    def value(self, rng: Rng) -> Any:
        if self.draw is not None:
            return self.draw(rng)
        if self.enum:
            return rng.choice(list(self.enum))
        raise ValueError(f"parameter {self.name!r} has no way to draw a value")


Ask = str | tuple[str, Args]
"""A request phrasing; ``{slot}`` names a parameter. A tuple adds fixed arguments the words
imply (``("... with safe search on", {"safe_search": True})``)."""


@dataclass(frozen=True)
class Tool:
    """A function tool and how to talk about it (see the module docstring)."""

    name: str
    description: str
    params: Sequence[Param]
    asks: Sequence[Ask]
    eval_asks: Sequence[Ask]
    result: Callable[[Args, Rng], Args]
    answers: Sequence[str]
    broad: bool = False
    """Could serve any question (web search): never offered with a question that needs no tool."""
    distinct: Sequence[str] = ()
    """Parameters whose drawn values must differ (the two units of a conversion)."""
    derive: Callable[[Args], Args] | None = None
    """Makes drawn values agree with each other (the artist of the drawn song)."""

    def schema(self) -> dict[str, Any]:
        """The OpenAI ``{"type": "function", "function": {...}}`` dict."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": {p.name: p.schema() for p in self.params},
                    "required": [p.name for p in self.params if p.required],
                },
            },
        }

    def draw(self, rng: Rng) -> Args:
        """A value for every parameter that can be drawn (booleans come from the phrasing)."""
        params = {p.name: p for p in self.params}
        values = {p.name: p.value(rng) for p in self.params if p.draw is not None or p.enum}
        for i, name in enumerate(self.distinct):
            while values[name] in [values[other] for other in self.distinct[:i]]:
                values[name] = params[name].value(rng)
        return self.derive(values) if self.derive else values


def _weather(a: Args, rng: Rng) -> Args:
    hot = a.get("unit") == "fahrenheit"
    return {
        "temperature": rng.randint(40, 95) if hot else rng.randint(-5, 35),
        "condition": rng.choice(CONDITIONS),
    }


def _convert(factors: dict[str, float]) -> Callable[[Args, Rng], Args]:
    def result(a: Args, rng: Rng) -> Args:
        value = a["value"] * factors[a["from_unit"]] / factors[a["to_unit"]]
        return {"result": round(value, 2)}

    return result


def _currency(a: Args, rng: Rng) -> Args:
    rate = RATES_PER_USD[a["to_currency"]] / RATES_PER_USD[a["from_currency"]]
    return {"converted": round(a["amount"] * rate, 2), "rate": round(rate, 4)}


def _calculate(a: Args, rng: Rng) -> Args:
    left, op, right = a["expression"].split(" ")
    x, y = float(left), float(right)
    value = {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]
    return {"result": int(value) if value == int(value) else round(value, 2)}


def _expression(rng: Rng) -> str:
    op = rng.choice("+-*/")
    right = rng.randint(2, 99)
    left = right * rng.randint(2, 30) if op == "/" else rng.randint(2, 999)
    return f"{left} {op} {right}"


ARTIST_OF = dict(SONGS)


def _id(prefix: str, rng: Rng) -> str:
    return f"{prefix}{rng.randint(1000, 9999)}"


TRAIN_TOOLS: list[Tool] = [
    Tool(
        "get_weather",
        "Get the current weather for a city.",
        [
            Param("city", "string", _pick(CITIES)),
            Param("unit", "string", enum=("celsius", "fahrenheit"), required=False),
        ],
        asks=[
            "What's the weather like in {city}?",
            "How warm is it in {city} right now?",
            "Tell me the current weather in {city} in {unit}.",
            "Is it raining in {city} at the moment?",
            "weather in {city} please, in {unit}",
            "I'm about to go out in {city}. What's it like outside?",
        ],
        eval_asks=[
            "Could you check the conditions outside in {city}?",
            "Heading to {city} now, what's the weather there in {unit}?",
        ],
        result=_weather,
        answers=["It is {temperature} degrees and {condition} in {city} right now."],
    ),
    Tool(
        "get_forecast",
        "Get the weather forecast for the coming days.",
        [Param("city", "string", _pick(CITIES)), Param("days", "integer", _ints(2, 7))],
        asks=[
            "What's the forecast for {city} for the next {days} days?",
            "Give me a {days}-day forecast for {city}.",
            "Will it be nice in {city} over the next {days} days?",
            "For the next {days} days, what weather should {city} expect?",
            "Forecast, {city}, {days} days.",
        ],
        eval_asks=["I'm planning a trip: how will the weather be in {city} for {days} days?"],
        result=lambda a, rng: {
            "summary": rng.choice(CONDITIONS),
            "high": rng.randint(10, 34),
            "low": rng.randint(-4, 9),
        },
        answers=[
            "The next {days} days in {city} look {summary}, with highs of {high} and lows "
            "of {low} degrees."
        ],
    ),  # fmt: skip
    Tool(
        "calculate",
        "Evaluate an arithmetic expression.",
        [Param("expression", "string", _expression, "e.g. 12 * 7")],
        asks=[
            "What is {expression}?",
            "Calculate {expression}.",
            "Can you work out {expression} for me?",
            "{expression} = ?",
            "Quick math: {expression}",
        ],
        eval_asks=["I need the result of {expression}, please."],
        result=_calculate,
        answers=["{expression} = {result}."],
    ),
    Tool(
        "percentage_of",
        "Compute a percentage of a value.",
        [Param("percent", "number", _ints(5, 90)), Param("value", "number", _amount)],
        asks=[
            "What is {percent}% of {value}?",
            "How much is {percent} percent of {value}?",
            "Take {percent}% of {value}.",
        ],
        eval_asks=["Figure out {percent}% of {value} for me."],
        result=lambda a, rng: {"result": round(a["percent"] * a["value"] / 100, 2)},
        answers=["{percent}% of {value} is {result}."],
    ),
    Tool(
        "convert_length",
        "Convert a length between units.",
        [
            Param("value", "number", _amount),
            Param("from_unit", "string", enum=tuple(LENGTH_FACTORS)),
            Param("to_unit", "string", enum=tuple(LENGTH_FACTORS)),
        ],
        asks=[
            "Convert {value} {from_unit} to {to_unit}.",
            "How many {to_unit} is {value} {from_unit}?",
            "{value} {from_unit} in {to_unit}?",
            "Into {to_unit}, please: {value} {from_unit}.",
            "What's {value} {from_unit} in {to_unit}?",
        ],
        eval_asks=["I ran {value} {from_unit} today. How far is that in {to_unit}?"],
        result=_convert(LENGTH_FACTORS),
        answers=["{value} {from_unit} is {result} {to_unit}."],
        distinct=("from_unit", "to_unit"),
    ),
    Tool(
        "convert_weight",
        "Convert a weight between units.",
        [
            Param("value", "number", _amount),
            Param("from_unit", "string", enum=tuple(WEIGHT_FACTORS)),
            Param("to_unit", "string", enum=tuple(WEIGHT_FACTORS)),
        ],
        asks=[
            "Convert {value} {from_unit} to {to_unit}.",
            "How many {to_unit} are in {value} {from_unit}?",
            "What is {value} {from_unit} in {to_unit}?",
        ],
        eval_asks=["My bag weighs {value} {from_unit}; what's that in {to_unit}?"],
        result=_convert(WEIGHT_FACTORS),
        answers=["{value} {from_unit} is {result} {to_unit}."],
        distinct=("from_unit", "to_unit"),
    ),
    Tool(
        "convert_currency",
        "Convert money from one currency to another.",
        [
            Param("amount", "number", _amount),
            Param("from_currency", "string", _pick(CURRENCIES), "ISO code, e.g. USD"),
            Param("to_currency", "string", _pick(CURRENCIES), "ISO code, e.g. EUR"),
        ],
        asks=[
            "How much is {amount} {from_currency} in {to_currency}?",
            "Convert {amount} {from_currency} to {to_currency}.",
            "What do I get for {amount} {from_currency} in {to_currency}?",
            "{amount} {from_currency} to {to_currency}",
            "How many {to_currency} do I get for {amount} {from_currency}?",
        ],
        eval_asks=["I have {amount} {from_currency}. What is that worth in {to_currency}?"],
        result=_currency,
        answers=["{amount} {from_currency} is about {converted} {to_currency}."],
        distinct=("from_currency", "to_currency"),
    ),
    Tool(
        "search_web",
        "Search the web.",
        [
            Param("query", "string", _pick(TOPICS)),
            Param("max_results", "integer", _ints(3, 10), required=False),
            Param("safe_search", "boolean", required=False),
        ],
        asks=[
            "Search the web for {query}.",
            "Look up {query} online.",
            "Find {max_results} web results about {query}.",
            ("Search for {query} with safe search on.", {"safe_search": True}),
            ("Search {query}, safe search off.", {"safe_search": False}),
            "Can you google {query} for me?",
            (
                "Give me {max_results} results for {query} with safe search enabled.",
                {"safe_search": True},
            ),
        ],
        eval_asks=[
            "Browse the internet for {query}.",
            (
                "I want the top {max_results} pages on {query}, safe search enabled.",
                {"safe_search": True},
            ),
        ],  # fmt: skip
        result=lambda a, rng: {
            "top_result": f"A guide to {a['query']}",
            "hits": rng.randint(3, 90),
        },
        answers=['The top result is "{top_result}" ({hits} results in total).'],
        broad=True,
    ),
    Tool(
        "get_news",
        "Get the latest news headlines on a topic.",
        [
            Param("topic", "string", _pick(TOPICS)),
            Param("language", "string", enum=("en", "fr", "de", "es"), required=False),
        ],
        asks=[
            "What's the latest news about {topic}?",
            "Any news on {topic}?",
            "Show me headlines about {topic} in language {language}.",
            "Get me today's news on {topic}.",
        ],
        eval_asks=["Catch me up on recent headlines about {topic}."],
        result=lambda a, rng: {"headline": f"New report on {a['topic']} released"},
        answers=['Latest headline: "{headline}".'],
    ),
    Tool(
        "create_event",
        "Create a calendar event.",
        [
            Param("title", "string", _pick(EVENTS)),
            Param("date", "string", _pick(DATES), "YYYY-MM-DD"),
            Param("time", "string", _pick(TIMES), "HH:MM", required=False),
            Param("attendees", "array", _some(PEOPLE), required=False),
        ],
        asks=[
            "Schedule {title} on {date} at {time}.",
            "Add an event called {title} on {date}.",
            "Put {title} in my calendar for {date} at {time} with {attendees}.",
            "Create a calendar event '{title}' on {date} and invite {attendees}.",
            "Book {title} for {date}.",
        ],
        eval_asks=["Please block {date} at {time} for {title}."],
        result=lambda a, rng: {"event_id": _id("evt_", rng), "status": "created"},
        answers=["Done: {title} is on your calendar for {date} (event {event_id})."],
    ),
    Tool(
        "list_events",
        "List the calendar events on a date.",
        [Param("date", "string", _pick(DATES), "YYYY-MM-DD")],
        asks=[
            "What's on my calendar on {date}?",
            "Do I have anything scheduled for {date}?",
            "List my events for {date}.",
        ],
        eval_asks=["Am I busy on {date}?"],
        result=lambda a, rng: {"events": rng.sample(EVENTS, 2)},
        answers=["On {date} you have: {events}."],
    ),
    Tool(
        "read_file",
        "Read a text file.",
        [Param("path", "string", _pick(FILES))],
        asks=[
            "Read the file {path}.",
            "What's in {path}?",
            "Show me the contents of {path}.",
            "Open {path} and tell me what it says.",
        ],
        eval_asks=["Print {path} for me."],
        result=lambda a, rng: {"content": rng.choice(FILE_TEXTS)},
        answers=['{path} says: "{content}".'],
    ),
    Tool(
        "write_file",
        "Write text to a file.",
        [
            Param("path", "string", _pick(FILES)),
            Param("content", "string", _pick(FILE_TEXTS)),
            Param("append", "boolean", required=False),
        ],
        asks=[
            "Write '{content}' to {path}.",
            "Save the text '{content}' in {path}.",
            ("Append '{content}' to {path}.", {"append": True}),
            ("Overwrite {path} with '{content}'.", {"append": False}),
        ],
        eval_asks=["Put the line '{content}' into the file {path}."],
        result=lambda a, rng: {"bytes_written": len(a["content"]) + 1},
        answers=["Wrote {bytes_written} bytes to {path}."],
    ),
    Tool(
        "list_files",
        "List the files in a folder.",
        [
            Param("directory", "string", _pick(FOLDERS)),
            Param("recursive", "boolean", required=False),
        ],
        asks=[
            "List the files in {directory}.",
            "What files are in the {directory} folder?",
            ("Show everything under {directory}, including subfolders.", {"recursive": True}),
            "ls {directory}",
        ],
        eval_asks=["Which files do I have in {directory}?"],
        result=lambda a, rng: {"files": rng.sample(FILES, 3)},
        answers=["{directory} contains: {files}."],
    ),
    Tool(
        "delete_file",
        "Delete a file.",
        [Param("path", "string", _pick(FILES))],
        asks=["Delete {path}.", "Remove the file {path}.", "Please get rid of {path}."],
        eval_asks=["Trash {path}, I don't need it."],
        result=lambda a, rng: {"status": "deleted", "freed_kb": rng.randint(2, 900)},
        answers=["Deleted {path}, freeing {freed_kb} KB."],
    ),
    Tool(
        "send_email",
        "Send an email.",
        [
            Param(
                "to",
                "array",
                lambda rng: [
                    f"{p.lower()}@example.com" for p in rng.sample(PEOPLE, rng.randint(1, 2))
                ],
            ),
            Param("subject", "string", _pick(EVENTS)),
            Param("body", "string", _pick(MESSAGES), required=False),
        ],  # fmt: skip
        asks=[
            "Email {to} with the subject '{subject}'.",
            "Send an email to {to}, subject '{subject}', saying '{body}'.",
            "Write to {to} about '{subject}': '{body}'",
            "Send {to} an email titled '{subject}'.",
        ],
        eval_asks=["Shoot an email over to {to} with subject '{subject}'."],
        result=lambda a, rng: {"message_id": _id("msg_", rng)},
        answers=["Your email to {to} was sent (id {message_id})."],
    ),
    Tool(
        "send_message",
        "Send a chat message to a contact.",
        [Param("recipient", "string", _pick(PEOPLE)), Param("text", "string", _pick(MESSAGES))],
        asks=[
            "Send a message to {recipient} saying '{text}'.",
            "Text {recipient}: '{text}'",
            "Tell {recipient} '{text}' over chat.",
            "Message {recipient} with '{text}'.",
        ],
        eval_asks=["Let {recipient} know by message: '{text}'"],
        result=lambda a, rng: {"delivered": True, "sent_at": rng.choice(TIMES)},
        answers=["Sent to {recipient} at {sent_at}."],
    ),
    Tool(
        "set_timer",
        "Start a countdown timer.",
        [
            Param("minutes", "integer", _ints(1, 90)),
            Param(
                "label",
                "string",
                _pick(["tea", "pasta", "laundry", "break", "oven"]),
                required=False,
            ),
        ],  # fmt: skip
        asks=[
            "Set a timer for {minutes} minutes.",
            "Start a {minutes} minute timer called {label}.",
            "Timer: {minutes} min.",
            "Count down {minutes} minutes for the {label}.",
            "In {minutes} minutes, let me know.",
            "Set a {label} timer for {minutes} minutes.",
        ],
        eval_asks=["Wake me up in {minutes} minutes."],
        result=lambda a, rng: {"timer_id": _id("t", rng), "ends_at": rng.choice(TIMES)},
        answers=["Timer set for {minutes} minutes; it rings at {ends_at}."],
    ),
    Tool(
        "set_reminder",
        "Set a reminder.",
        [
            Param("text", "string", _pick(TASKS)),
            Param("time", "string", _pick(TIMES), "HH:MM"),
            Param("date", "string", _pick(DATES), "YYYY-MM-DD", required=False),
        ],
        asks=[
            "Remind me to {text} at {time}.",
            "Set a reminder to {text} on {date} at {time}.",
            "At {time}, remind me to {text}.",
            "Don't let me forget to {text} at {time} on {date}.",
        ],
        eval_asks=["Ping me at {time} so I {text}."],
        result=lambda a, rng: {"reminder_id": _id("r", rng)},
        answers=["I'll remind you to {text} at {time} (reminder {reminder_id})."],
    ),
    Tool(
        "play_music",
        "Play a song.",
        [
            Param("song", "string", _pick([song for song, _ in SONGS])),
            Param("artist", "string", _pick([artist for _, artist in SONGS]), required=False),
            Param("shuffle", "boolean", required=False),
        ],
        asks=[
            "Play {song}.",
            "Play {song} by {artist}.",
            "Put on {song} please.",
            ("Play {song} on shuffle.", {"shuffle": True}),
            "I want to hear {song} by {artist}.",
        ],
        eval_asks=["Queue up {song} for me."],
        result=lambda a, rng: {
            "now_playing": a["song"],
            "duration": f"{rng.randint(2, 6)}:{rng.randint(10, 59)}",
        },
        answers=["Now playing {now_playing} ({duration})."],
        derive=lambda a: {**a, "artist": ARTIST_OF[a["song"]]},
    ),  # fmt: skip
    Tool(
        "get_directions",
        "Get travel directions between two places.",
        [
            Param("origin", "string", _pick(CITIES)),
            Param("destination", "string", _pick(CITIES)),
            Param(
                "mode", "string", enum=("driving", "walking", "transit", "cycling"), required=False
            ),
        ],  # fmt: skip
        asks=[
            "How do I get from {origin} to {destination}?",
            "Directions from {origin} to {destination} by {mode}.",
            "Route from {origin} to {destination}, {mode} please.",
            "How long does it take to go from {origin} to {destination}?",
        ],
        eval_asks=["I'm in {origin} and need to reach {destination} by {mode}. Which way?"],
        result=lambda a, rng: {"distance_km": rng.randint(5, 2000), "hours": rng.randint(1, 30)},
        answers=["{origin} to {destination} is {distance_km} km, about {hours} hours."],
        distinct=("origin", "destination"),
    ),
    Tool(
        "find_restaurants",
        "Find restaurants in a city.",
        [
            Param("city", "string", _pick(CITIES)),
            Param("cuisine", "string", _pick(CUISINES), required=False),
            Param("max_price", "integer", _ints(1, 4), "1 (cheap) to 4", required=False),
        ],
        asks=[
            "Find {cuisine} restaurants in {city}.",
            "Where can I eat in {city}?",
            "Any good {cuisine} places in {city} with max price {max_price}?",
            "Recommend a restaurant in {city}.",
        ],
        eval_asks=["I'm hungry in {city} and craving {cuisine} food. Ideas?"],
        result=lambda a, rng: {
            "top_pick": rng.choice(["Chez Lou", "Green Leaf", "Casa Roja", "Blue Door"]),
            "rating": round(rng.uniform(3.5, 5), 1),
        },
        answers=["Try {top_pick}, rated {rating}."],
    ),
    Tool(
        "lookup_word",
        "Look up the definition of an English word.",
        [Param("word", "string", _pick(WORDS))],
        asks=[
            "Define {word}.",
            "Look up the word {word} in the dictionary.",
            "What's the dictionary definition of {word}?",
        ],
        eval_asks=["Check the dictionary entry for {word}."],
        result=lambda a, rng: {"definition": f"the quality of being {a['word']}"},
        answers=["{word}: {definition}."],
        broad=True,
    ),
    Tool(
        "get_local_time",
        "Get the current local time in a city.",
        [Param("city", "string", _pick(CITIES))],
        asks=["What time is it in {city}?", "Current time in {city}?", "Is it late in {city}?"],
        eval_asks=["Tell me the clock time over in {city}."],
        result=lambda a, rng: {"time": rng.choice(TIMES)},
        answers=["It is {time} in {city}."],
    ),
    Tool(
        "add_todo",
        "Add a task to the to-do list.",
        [
            Param("task", "string", _pick(TASKS)),
            Param("priority", "string", enum=("low", "medium", "high"), required=False),
        ],
        asks=[
            "Add '{task}' to my to-do list.",
            "Put {task} on my todo list with {priority} priority.",
            "New task: {task}.",
            "I need to {task}, add it to my list as {priority} priority.",
        ],
        eval_asks=["Jot down '{task}' in my tasks."],
        result=lambda a, rng: {"todo_id": _id("todo_", rng), "open_tasks": rng.randint(2, 15)},
        answers=["Added. You now have {open_tasks} open tasks."],
    ),
    Tool(
        "control_lights",
        "Turn the lights in a room on or off.",
        [
            Param("room", "string", enum=("kitchen", "bedroom", "living room", "office")),
            Param("on", "boolean"),
            Param("brightness", "integer", _ints(10, 100), "percent", required=False),
        ],
        asks=[
            ("Turn on the lights in the {room}.", {"on": True}),
            ("Switch off the {room} lights.", {"on": False}),
            ("Set the {room} lights to {brightness}% brightness.", {"on": True}),
            ("Lights off in the {room}, please.", {"on": False}),
        ],
        eval_asks=[("It's too dark in the {room}, put the lights on.", {"on": True})],
        result=lambda a, rng: {"state": "on" if a["on"] else "off", "power_w": rng.randint(5, 60)},
        answers=["The {room} lights are now {state}."],
    ),
    Tool(
        "search_flights",
        "Search for flights.",
        [
            Param("origin", "string", _pick(CITIES)),
            Param("destination", "string", _pick(CITIES)),
            Param("date", "string", _pick(DATES), "YYYY-MM-DD"),
            Param("passengers", "integer", _ints(1, 5), required=False),
        ],
        asks=[
            "Find flights from {origin} to {destination} on {date}.",
            "Search flights {origin} to {destination}, {date}, for {passengers} people.",
            "Are there flights from {origin} to {destination} on {date}?",
            "I need {passengers} tickets from {origin} to {destination} on {date}.",
        ],
        eval_asks=["Look for a plane from {origin} to {destination} leaving {date}."],
        result=lambda a, rng: {
            "cheapest_price": rng.randint(80, 900),
            "airline": rng.choice(["SkyJet", "AeroLink", "Nordwind", "BlueAir"]),
        },
        answers=["The cheapest flight is {cheapest_price} dollars with {airline}."],
        distinct=("origin", "destination"),
    ),
    Tool(
        "book_hotel",
        "Book a hotel room.",
        [
            Param("city", "string", _pick(CITIES)),
            Param("check_in", "string", _pick(DATES), "YYYY-MM-DD"),
            Param("nights", "integer", _ints(1, 9)),
            Param("guests", "integer", _ints(1, 4), required=False),
        ],
        asks=[
            "Book a hotel in {city} from {check_in} for {nights} nights.",
            "I need a room in {city} for {nights} nights starting {check_in}.",
            "Reserve a hotel in {city}, check-in {check_in}, {nights} nights, {guests} guests.",
        ],
        eval_asks=["Get me accommodation in {city}: {nights} nights from {check_in}."],
        result=lambda a, rng: {"confirmation": _id("H", rng), "total_price": rng.randint(90, 2500)},
        answers=["Booked! Confirmation {confirmation}, total {total_price} dollars."],
    ),
    Tool(
        "get_score",
        "Get the latest game score of a sports team.",
        [Param("team", "string", _pick(TEAMS))],
        asks=[
            "How did {team} do in their last game?",
            "What was the score of the last {team} game?",
            "Did {team} win?",
        ],
        eval_asks=["Give me the result of {team}'s most recent match."],
        result=lambda a, rng: {
            "score": f"{rng.randint(0, 5)}-{rng.randint(0, 5)}",
            "opponent": rng.choice(TEAMS),
        },
        answers=["{team} played {opponent}; the score was {score}."],
    ),
    Tool(
        "get_showtimes",
        "Get movie showtimes in a city.",
        [Param("movie", "string", _pick(MOVIES)), Param("city", "string", _pick(CITIES))],
        asks=[
            "When is {movie} playing in {city}?",
            "Showtimes for {movie} in {city}?",
            "Can I watch {movie} tonight in {city}?",
        ],
        eval_asks=["What screenings of {movie} are there in {city}?"],
        result=lambda a, rng: {"showtimes": rng.sample(TIMES[4:], 2)},
        answers=["{movie} plays in {city} at {showtimes}."],
    ),
    Tool(
        "calculate_tip",
        "Calculate a tip and split a bill.",
        [
            Param("bill", "number", _amount),
            Param("tip_percent", "number", _pick([10, 12, 15, 18, 20, 25])),
            Param("people", "integer", _ints(2, 6), required=False),
        ],
        asks=[
            "What's a {tip_percent}% tip on {bill}?",
            "Split a {bill} bill with a {tip_percent}% tip among {people} people.",
            "Tip {tip_percent} percent on a bill of {bill}.",
        ],
        eval_asks=["Dinner was {bill}. With {tip_percent}% tip, what does each of {people} pay?"],
        result=lambda a, rng: {
            "tip": round(a["bill"] * a["tip_percent"] / 100, 2),
            "total": round(a["bill"] * (1 + a["tip_percent"] / 100), 2),
        },
        answers=["The tip is {tip}, so the total is {total}."],
    ),
    Tool(
        "roll_dice",
        "Roll dice.",
        [
            Param("sides", "integer", _pick([4, 6, 8, 10, 12, 20])),
            Param("count", "integer", _ints(1, 5), required=False),
        ],
        asks=[
            "Roll a {sides}-sided die.",
            "Roll {count} dice with {sides} sides.",
            "Throw {count} d{sides}.",
        ],
        eval_asks=["Give me a random roll of {count} {sides}-sided dice."],
        result=lambda a, rng: {"total": rng.randint(1, a["sides"] * a.get("count", 1))},
        answers=["You rolled a total of {total}."],
    ),
    Tool(
        "query_database",
        "Run a read-only query on a database table.",
        [
            Param("table", "string", _pick(["users", "orders", "products", "invoices"])),
            Param("limit", "integer", _pick([5, 10, 20, 50]), required=False),
        ],
        asks=[
            "Show me the first {limit} rows of the {table} table.",
            "How many rows are in the {table} table?",
            "Query the {table} table.",
            "Get {limit} rows from {table}.",
        ],
        eval_asks=["Pull {limit} records from {table}."],
        result=lambda a, rng: {"row_count": rng.randint(0, 5000)},
        answers=["The {table} table has {row_count} rows."],
    ),
    Tool(
        "book_ride",
        "Book a taxi ride.",
        [
            Param("pickup", "string", _pick(["home", "the office", "the airport", "the station"])),
            Param("dropoff", "string", _pick(["downtown", "the museum", "the airport", "home"])),
            Param("ride_type", "string", enum=("standard", "xl", "premium"), required=False),
        ],
        asks=[
            "Get me a taxi from {pickup} to {dropoff}.",
            "Book a {ride_type} ride from {pickup} to {dropoff}.",
            "I need a cab from {pickup} to {dropoff}.",
            "Send a car to {pickup}, going to {dropoff}.",
        ],
        eval_asks=["Order a car to take me from {pickup} to {dropoff}."],
        result=lambda a, rng: {"driver": rng.choice(PEOPLE), "eta_min": rng.randint(2, 20)},
        answers=["{driver} will pick you up in {eta_min} minutes."],
        distinct=("pickup", "dropoff"),
    ),
    Tool(
        "log_workout",
        "Log a workout.",
        [
            Param("activity", "string", enum=("running", "cycling", "swimming", "yoga")),
            Param("minutes", "integer", _ints(10, 120)),
        ],
        asks=[
            "Log {minutes} minutes of {activity}.",
            "I did {activity} for {minutes} minutes, record it.",
            "Add a {activity} workout of {minutes} minutes.",
        ],
        eval_asks=["Track today's session: {activity}, {minutes} minutes."],
        result=lambda a, rng: {"calories": a["minutes"] * rng.randint(5, 11)},
        answers=["Logged! That burned about {calories} calories."],
    ),
    Tool(
        "get_crypto_price",
        "Get the price of a cryptocurrency.",
        [
            Param("coin", "string", enum=("bitcoin", "ethereum", "solana", "dogecoin")),
            Param("currency", "string", _pick(CURRENCIES[:3]), required=False),
        ],
        asks=[
            "What's the price of {coin}?",
            "How much is one {coin} in {currency}?",
            "{coin} price?",
        ],
        eval_asks=["What is {coin} trading at right now in {currency}?"],
        result=lambda a, rng: {"price": round(rng.uniform(0.1, 70000), 2)},
        answers=["One {coin} costs {price}."],
    ),
    Tool(
        "create_note",
        "Create a note.",
        [
            Param(
                "title",
                "string",
                _pick(
                    ["Shopping", "Ideas", "Trip plan", "Meeting notes", "Gift list", "Reading list"]
                ),
            ),
            Param("content", "string", _pick(FILE_TEXTS)),
            Param(
                "tags",
                "array",
                _some(["work", "home", "urgent", "travel", "family"], 1, 2),
                required=False,
            ),
        ],
        asks=[
            "Create a note titled {title} saying '{content}'.",
            "New note '{title}': '{content}', tagged {tags}.",
            "Make a note called {title} with the text '{content}' and tags {tags}.",
            "Write down '{content}' in a note named {title}.",
        ],
        eval_asks=["Jot a note, title {title}, body '{content}'."],
        result=lambda a, rng: {"note_id": _id("n", rng), "saved": True},
        answers=["Saved the note {title} (id {note_id})."],
    ),
    Tool(
        "add_to_shopping_list",
        "Add items to the shopping list.",
        [
            Param("items", "array", _some(INGREDIENTS, 1, 3)),
            Param(
                "store", "string", _pick(["Aldi", "Costco", "Tesco", "the market"]), required=False
            ),
        ],
        asks=[
            "Add {items} to my shopping list.",
            "Put {items} on the shopping list for {store}.",
            "I need to buy {items}.",
            "Shopping list: {items}.",
        ],
        eval_asks=["Remember that I must pick up {items} at {store}."],
        result=lambda a, rng: {"list_size": len(a["items"]) + rng.randint(0, 9)},
        answers=["Added. Your shopping list now has {list_size} items."],
    ),
    Tool(
        "share_file",
        "Share a file with people.",
        [
            Param("path", "string", _pick(FILES)),
            Param("people", "array", _some(PEOPLE, 1, 3)),
            Param("can_edit", "boolean", required=False),
        ],
        asks=[
            "Share {path} with {people}.",
            ("Give {people} edit access to {path}.", {"can_edit": True}),
            ("Share {path} with {people}, read-only.", {"can_edit": False}),
            "Send {path} to {people}.",
        ],
        eval_asks=[("Let {people} view {path} but not change it.", {"can_edit": False})],
        result=lambda a, rng: {"link": f"https://files.example.com/{rng.randint(100, 999)}"},
        answers=["Shared {path} with {people}: {link}"],
    ),
    Tool(
        "summarize_text",
        "Summarize a text.",
        [
            Param("text", "string", _pick(FILE_TEXTS + MESSAGES)),
            Param("max_words", "integer", _pick([5, 10, 20]), required=False),
        ],
        asks=[
            "Summarize this text: '{text}'",
            "Give me a summary of '{text}' in at most {max_words} words.",
            "TL;DR of '{text}'?",
        ],
        eval_asks=["Condense '{text}' for me."],
        result=lambda a, rng: {"summary": " ".join(a["text"].split()[:3]) + "."},
        answers=["Summary: {summary}"],
        broad=True,
    ),
    Tool(
        "spell_check",
        "Check the spelling of a text.",
        [Param("text", "string", _pick(list(SPELLING)))],
        asks=[
            "Spell-check '{text}'.",
            "Are there typos in '{text}'?",
            "Check the spelling: '{text}'",
        ],
        eval_asks=["Proofread '{text}'."],
        result=lambda a, rng: {"corrected": SPELLING[a["text"]]},
        answers=['Corrected: "{corrected}".'],
        broad=True,
    ),
    Tool(
        "rename_file",
        "Rename a file.",
        [
            Param("path", "string", _pick(FILES)),
            Param("new_name", "string", _pick(["final.txt", "old_notes.txt", "v2.md", "a.csv"])),
        ],
        asks=[
            "Rename {path} to {new_name}.",
            "Change the name of {path} to {new_name}.",
            "Call {path} {new_name} from now on.",
        ],
        eval_asks=["Can {path} be renamed as {new_name}?"],
        result=lambda a, rng: {"renamed": True, "new_path": a["new_name"]},
        answers=["Done, the file is now {new_path}."],
    ),
    Tool(
        "get_bus_times",
        "Get the next departures at a bus stop.",
        [
            Param(
                "stop",
                "string",
                _pick(
                    ["Main Street", "Central Station", "City Hall", "Park Avenue", "Harbor Road"]
                ),
            ),
            Param("line", "string", _pick(["12", "7A", "42", "N3"]), required=False),
        ],
        asks=[
            "When is the next bus at {stop}?",
            "Next departures of line {line} from {stop}?",
            "When does the {line} leave {stop}?",
        ],
        eval_asks=["I'm waiting at {stop}, when does the bus come?"],
        result=lambda a, rng: {"next_bus": rng.choice(TIMES), "delay_min": rng.randint(0, 9)},
        answers=["The next bus leaves {stop} at {next_bus} ({delay_min} min delay)."],
    ),
    Tool(
        "compare_prices",
        "Compare the price of a product across stores.",
        [
            Param(
                "product",
                "string",
                _pick(
                    ["a kettle", "running shoes", "a desk lamp", "headphones", "a coffee grinder"]
                ),
            ),
            Param("stores", "array", _some(["Amazon", "eBay", "Walmart", "Target", "Best Buy"])),
        ],
        asks=[
            "Compare prices for {product} at {stores}.",
            "Where is {product} cheapest: {stores}?",
            "Check the price of {product} on {stores}.",
        ],
        eval_asks=["Which of {stores} sells {product} for less?"],
        result=lambda a, rng: {"cheapest": a["stores"][-1], "price": rng.randint(15, 300)},
        answers=["{cheapest} has it cheapest, at {price} dollars."],
    ),
    Tool(
        "order_pizza",
        "Order a pizza.",
        [
            Param("size", "string", enum=("small", "medium", "large")),
            Param(
                "toppings",
                "array",
                _some(["ham", "mushrooms", "olives", "pepperoni", "onions", "peppers"], 1, 3),
            ),
            Param("extra_cheese", "boolean", required=False),
        ],
        asks=[
            "Order a {size} pizza with {toppings}.",
            ("Get me a {size} pizza with {toppings} and extra cheese.", {"extra_cheese": True}),
            "I'd like a {size} {toppings} pizza.",
            ("A {size} pizza, {toppings}, no extra cheese.", {"extra_cheese": False}),
        ],
        eval_asks=["Pizza time: {size}, topped with {toppings}."],
        result=lambda a, rng: {"order_id": _id("P", rng), "eta_min": rng.randint(15, 50)},
        answers=["Your {size} pizza is ordered and arrives in {eta_min} minutes."],
    ),
    Tool(
        "lock_door",
        "Lock or unlock a door.",
        [
            Param("door", "string", enum=("front", "back", "garage")),
            Param("locked", "boolean"),
        ],
        asks=[
            ("Lock the {door} door.", {"locked": True}),
            ("Unlock the {door} door.", {"locked": False}),
            ("Is the {door} door locked? Lock it.", {"locked": True}),
            ("Open the {door} door lock for the guests.", {"locked": False}),
        ],
        eval_asks=[("Make sure the {door} door is secured.", {"locked": True})],
        result=lambda a, rng: {"state": "locked" if a["locked"] else "unlocked"},
        answers=["The {door} door is {state}."],
    ),
    Tool(
        "convert_time_zone",
        "Convert a time from one city's time zone to another's.",
        [
            Param("time", "string", _pick(TIMES), "HH:MM"),
            Param("from_city", "string", _pick(CITIES)),
            Param("to_city", "string", _pick(CITIES)),
        ],
        asks=[
            "What is {time} in {from_city} in {to_city} time?",
            "Convert {time} {from_city} time to {to_city}.",
            "If it's {time} in {from_city}, what time is it in {to_city}?",
        ],
        eval_asks=["My call is at {time} {from_city} time. When is that for someone in {to_city}?"],
        result=lambda a, rng: {"converted": rng.choice(TIMES)},
        answers=["{time} in {from_city} is {converted} in {to_city}."],
        distinct=("from_city", "to_city"),
    ),
    Tool(
        "calculate_bmi",
        "Compute the body mass index.",
        [
            Param("weight_kg", "number", _pick([52, 60.5, 68, 75, 81.2, 90, 104])),
            Param("height_cm", "number", _pick([155, 162, 170, 176.5, 183, 190])),
        ],
        asks=[
            "What's my BMI if I weigh {weight_kg} kg and I'm {height_cm} cm tall?",
            "BMI for {height_cm} cm and {weight_kg} kg?",
            "Calculate the BMI of someone {height_cm} cm tall weighing {weight_kg} kg.",
        ],
        eval_asks=["I am {height_cm} cm and {weight_kg} kg. Compute my body mass index."],
        result=lambda a, rng: {"bmi": round(a["weight_kg"] / (a["height_cm"] / 100) ** 2, 1)},
        answers=["The BMI is {bmi}."],
    ),
    Tool(
        "send_money",
        "Send money to a contact.",
        [
            Param("recipient", "string", _pick(PEOPLE)),
            Param("amount", "number", _amount),
            Param("currency", "string", _pick(CURRENCIES[:4]), required=False),
            Param("note", "string", _pick(["rent", "dinner", "tickets", "gift"]), required=False),
        ],
        asks=[
            "Send {amount} to {recipient}.",
            "Pay {recipient} {amount} {currency}.",
            "Transfer {amount} {currency} to {recipient} for {note}.",
            "Send {recipient} {amount} for {note}.",
        ],
        eval_asks=["Wire {recipient} {amount} {currency}."],
        result=lambda a, rng: {"transaction_id": _id("tx", rng), "fee": round(rng.random(), 2)},
        answers=["Sent! Transaction {transaction_id}, fee {fee}."],
    ),
    Tool(
        "check_domain",
        "Check whether a web domain is available.",
        [
            Param(
                "domain",
                "string",
                _pick(
                    ["smolcat.com", "bestpasta.io", "myband.net", "greenleaf.org", "quickfix.dev"]
                ),
            )
        ],
        asks=[
            "Is {domain} available?",
            "Can I register {domain}?",
            "Check the domain {domain}.",
        ],
        eval_asks=["Has anyone taken {domain} yet?"],
        result=lambda a, rng: {"available": rng.random() < 0.5, "price": rng.randint(8, 60)},
        answers=["{domain} available: {available} (price {price} dollars)."],
    ),
]

HELD_OUT_TOOLS: list[Tool] = [
    Tool(
        "get_air_quality",
        "Get the air quality index of a city.",
        [Param("city", "string", _pick(CITIES))],
        asks=[],
        eval_asks=[
            "How clean is the air in {city} today?",
            "What's the air quality index in {city}?",
            "Is the air in {city} safe to breathe right now?",
        ],
        result=lambda a, rng: {"aqi": rng.randint(10, 180), "level": rng.choice(["good", "fair"])},
        answers=["The air quality index in {city} is {aqi} ({level})."],
    ),
    Tool(
        "get_stock_price",
        "Get the latest price of a stock.",
        [
            Param("symbol", "string", _pick(SYMBOLS), "ticker, e.g. AAPL"),
            Param("exchange", "string", enum=("NASDAQ", "NYSE"), required=False),
        ],
        asks=[],
        eval_asks=[
            "What's {symbol} trading at?",
            "Get me the stock price of {symbol} on {exchange}.",
            "How much is a share of {symbol}?",
        ],
        result=lambda a, rng: {"price": round(rng.uniform(20, 900), 2)},
        answers=["{symbol} is at {price} dollars."],
    ),
    Tool(
        "translate_text",
        "Translate text into another language.",
        [
            Param("text", "string", _pick(PHRASES)),
            Param("target_language", "string", enum=("French", "Spanish", "German", "Italian")),
        ],
        asks=[],
        eval_asks=[
            "Translate '{text}' into {target_language}.",
            "How do you say '{text}' in {target_language}?",
            "Put '{text}' in {target_language} for me.",
        ],
        result=lambda a, rng: {"translation": TRANSLATIONS[a["text"]][a["target_language"]]},
        answers=['In {target_language}: "{translation}".'],
    ),
    Tool(
        "book_table",
        "Reserve a table at a restaurant.",
        [
            Param("restaurant", "string", _pick(["Chez Lou", "Green Leaf", "Casa Roja"])),
            Param("party_size", "integer", _ints(2, 8)),
            Param("time", "string", _pick(TIMES[5:]), "HH:MM"),
            Param("outdoor", "boolean", required=False),
        ],
        asks=[],
        eval_asks=[
            "Reserve a table for {party_size} at {restaurant} at {time}.",
            (
                "Book {restaurant} for {party_size} people at {time}, outside on the terrace.",
                {"outdoor": True},
            ),
            "Table at {restaurant}, {time}, party of {party_size}.",
        ],  # fmt: skip
        result=lambda a, rng: {"confirmation": _id("T", rng)},
        answers=["Your table at {restaurant} is booked (confirmation {confirmation})."],
    ),
    Tool(
        "set_thermostat",
        "Set the thermostat temperature.",
        [
            Param("temperature", "number", _pick([18, 19, 20, 20.5, 21, 22, 23.5, 24])),
            Param("room", "string", enum=("kitchen", "bedroom", "living room"), required=False),
        ],
        asks=[],
        eval_asks=[
            "Set the heating to {temperature} degrees.",
            "Make the {room} {temperature} degrees.",
            "Change the thermostat in the {room} to {temperature}.",
        ],
        result=lambda a, rng: {"target": a["temperature"], "current": rng.randint(14, 26)},
        answers=["The thermostat is set to {target}; it is {current} degrees now."],
    ),
    Tool(
        "track_package",
        "Track a parcel by its tracking number.",
        [
            Param("tracking_number", "string", lambda rng: f"1Z{rng.randint(10**7, 10**8 - 1)}"),
            Param("carrier", "string", enum=("UPS", "FedEx", "DHL"), required=False),
        ],
        asks=[],
        eval_asks=[
            "Where is my package {tracking_number}?",
            "Track parcel {tracking_number} with {carrier}.",
            "Has {tracking_number} been delivered yet?",
        ],
        result=lambda a, rng: {
            "status": rng.choice(["in transit", "out for delivery"]),
            "eta": rng.choice(DATES),
        },  # fmt: skip
        answers=["Your package is {status}, expected on {eta}."],
    ),
    Tool(
        "find_recipes",
        "Find recipes that use the given ingredients.",
        [
            Param("ingredients", "array", _some(INGREDIENTS)),
            Param("vegetarian", "boolean", required=False),
            Param("max_minutes", "integer", _pick([15, 20, 30, 45]), required=False),
        ],
        asks=[],
        eval_asks=[
            "What can I cook with {ingredients}?",
            ("Find a vegetarian recipe using {ingredients}.", {"vegetarian": True}),
            "Give me a recipe with {ingredients} that takes under {max_minutes} minutes.",
        ],
        result=lambda a, rng: {
            "recipe": f"{a['ingredients'][0].capitalize()} stew",
            "minutes": rng.randint(10, 60),
        },  # fmt: skip
        answers=["You could make {recipe}, ready in {minutes} minutes."],
    ),
    Tool(
        "get_exchange_rate",
        "Get the exchange rate between two currencies.",
        [Param("base", "string", _pick(CURRENCIES)), Param("quote", "string", _pick(CURRENCIES))],
        asks=[],
        eval_asks=[
            "What's the {base} to {quote} exchange rate?",
            "How many {quote} does one {base} buy?",
            "Exchange rate {base}/{quote}?",
        ],
        result=lambda a, rng: {
            "rate": round(RATES_PER_USD[a["quote"]] / RATES_PER_USD[a["base"]], 4)
        },
        answers=["One {base} is {rate} {quote}."],
        distinct=("base", "quote"),
    ),
    Tool(
        "count_words",
        "Count the words in a text.",
        [Param("text", "string", _pick(PHRASES + MESSAGES))],
        asks=[],
        eval_asks=[
            "How many words are in '{text}'?",
            "Count the words of this sentence: '{text}'",
            "Word count for '{text}'?",
        ],
        result=lambda a, rng: {"words": len(a["text"].split())},
        answers=["That text has {words} words."],
    ),
    Tool(
        "get_sunrise",
        "Get the sunrise and sunset times for a city.",
        [
            Param("city", "string", _pick(CITIES)),
            Param("date", "string", _pick(DATES), "YYYY-MM-DD", required=False),
        ],
        asks=[],
        eval_asks=[
            "When does the sun rise in {city}?",
            "Sunrise time in {city} on {date}?",
            "What time is sunset in {city} on {date}?",
        ],
        result=lambda a, rng: {"sunrise": rng.choice(TIMES[:3]), "sunset": rng.choice(TIMES[6:])},
        answers=["In {city} the sun rises at {sunrise} and sets at {sunset}."],
    ),
    Tool(
        "create_playlist",
        "Create a music playlist.",
        [
            Param("name", "string", _pick(["Road trip", "Focus", "Workout", "Sunday chill"])),
            Param("songs", "array", lambda rng: [s for s, _ in rng.sample(SONGS, 3)]),
            Param("public", "boolean", required=False),
        ],
        asks=[],
        eval_asks=[
            "Make a playlist called {name} with {songs}.",
            ("Create a public playlist named {name} containing {songs}.", {"public": True}),
        ],
        result=lambda a, rng: {"playlist_id": _id("pl_", rng), "tracks": len(a["songs"])},
        answers=["Created {name} with {tracks} tracks (id {playlist_id})."],
    ),
    Tool(
        "check_flight_status",
        "Check the status of a flight.",
        [
            Param(
                "flight_number",
                "string",
                lambda rng: f"{rng.choice(['LH', 'BA', 'AF', 'UA'])}{rng.randint(100, 999)}",
            )
        ],
        asks=[],
        eval_asks=[
            "Is flight {flight_number} on time?",
            "What's the status of {flight_number}?",
            "Has {flight_number} landed?",
        ],
        result=lambda a, rng: {
            "status": rng.choice(["on time", "delayed"]),
            "gate": f"{rng.choice('ABCD')}{rng.randint(1, 40)}",
        },  # fmt: skip
        answers=["Flight {flight_number} is {status}, at gate {gate}."],
    ),
    Tool(
        "convert_temperature",
        "Convert a temperature between scales.",
        [
            Param("value", "number", _pick([-10, 0, 12.5, 20, 37, 100, 451])),
            Param("from_scale", "string", enum=("celsius", "fahrenheit", "kelvin")),
            Param("to_scale", "string", enum=("celsius", "fahrenheit", "kelvin")),
        ],
        asks=[],
        eval_asks=[
            "Convert {value} degrees {from_scale} to {to_scale}.",
            "What is {value} {from_scale} in {to_scale}?",
            "{value} {from_scale} to {to_scale}, please.",
        ],
        result=lambda a, rng: {"result": _temperature(a)},
        answers=["{value} {from_scale} is {result} {to_scale}."],
        distinct=("from_scale", "to_scale"),
    ),
]


def _temperature(a: Args) -> float:
    kelvin = {
        "celsius": lambda v: v + 273.15,
        "fahrenheit": lambda v: (v - 32) * 5 / 9 + 273.15,
        "kelvin": lambda v: v,
    }[a["from_scale"]](a["value"])
    out = {
        "celsius": kelvin - 273.15,
        "fahrenheit": (kelvin - 273.15) * 9 / 5 + 32,
        "kelvin": kelvin,
    }[a["to_scale"]]
    return round(out, 2)


TOOLS: dict[str, Tool] = {tool.name: tool for tool in TRAIN_TOOLS}
ALL_TOOLS: dict[str, Tool] = {tool.name: tool for tool in TRAIN_TOOLS + HELD_OUT_TOOLS}

# ----------------------------------------------------------------------------------------------
# Extra training tools: a second, argument-focused training stage (``refine.jsonl``)
# ----------------------------------------------------------------------------------------------
# Training-only tools, never in the eval split (neither called nor offered there). They drill
# the argument skills the first stage leaves weak: a ``name`` parameter copied exactly (never
# the tool's own name), ordered pairs of one type given in any order or notation, optional
# arguments only when the request mentions them, required enums said in words, arrays next to
# a name, counts next to other numbers, and free text copied verbatim. None of them shares a
# name or a concept with ``TRAIN_TOOLS`` or ``HELD_OUT_TOOLS``.

GROUP_NAMES = [
    "Road Warriors", "Blue Sky", "Night Owls", "Sunday Brunch Club", "Weekend Hikers",
    "Book Worms", "Family Matters", "Office Plants",
]  # fmt: skip
PROJECT_NAMES = [
    "Project Atlas", "Blue Harbor", "Website Relaunch", "Green Roof", "Silver Lining",
    "Q3 Launch Plan", "Red Fox Studio", "Northern Lights",
]  # fmt: skip
TEAM_NAMES = [
    "Golden Eagles", "Iron Wolves", "City Sharks", "Lucky Stars", "Red Dragons",
    "Midnight Express", "Blue Sky Rovers", "Thunder Bay",
]  # fmt: skip
CONTACT_NAMES = [
    "Maria Lopez", "Tom Becker", "Anna Schmidt", "Kenji Watanabe", "Lucy O'Brien",
    "Omar Haddad", "Julia Costa", "Sofia Rossi",
]  # fmt: skip
PHONES = ["+1 555 0142", "+44 20 7946 0958", "+49 30 1234567", "555-0199", "+33 1 42 68 53 00"]
PET_NAMES = [
    "Captain Fluff", "Miss Daisy", "Mister Biscuit", "Lady Pepper", "Sir Wiggles",
    "Little Bean", "Doctor Paws",
]  # fmt: skip
POLLS = {
    "Where should we eat on Friday?": ["Thai Garden", "Pizza Place", "Sushi Bar"],
    "Which day works for movie night?": ["Thursday", "Friday", "Saturday", "Sunday"],
    "Team offsite: beach or mountains?": ["Beach", "Mountains"],
    "What time should stand-up start?": ["09:00", "09:30", "10:00"],
    "Who's bringing the cake (again)?": ["Bob", "Carla", "Noah", "Me!"],
    "Favourite logo - A, B or C?": ["Logo A", "Logo B", "Logo C"],
    "Should we switch to a 4-day week?": ["Yes", "No", "Not sure"],
}  # fmt: skip
APPOINTMENTS = [
    "haircut", "dentist appointment", "car service", "vet visit", "physio session",
    "eye exam", "tax consultation",
]  # fmt: skip
ACCOUNTS = ("checking", "savings", "business", "joint")
MEMOS = ["Rent for May", "Emergency fund", "Trip to Lisbon!", "Tax refund", "Car repair #2"]
SHOWS = ["Hamilton", "Swan Lake", "The Lion King", "The Nutcracker", "Les Miserables", "Mamma Mia!"]
SHOW_TIMES = ["14:30", "18:00", "19:30", "20:00", "20:15"]
CLIENTS = ["Acme Corp", "Blue Harbor Ltd", "Nordic Bikes", "Casa Verde Studio", "Pixel & Co"]
BUSINESSES = [
    "Blue Door Cafe", "Luigi's Trattoria", "The Book Nook", "Harbor Gym", "Pixel Phone Repair",
    "Corner Bakery",
]  # fmt: skip
REVIEW_TEXTS = [
    "Great coffee, slow service.", "Best pastries in town!!", "Friendly staff; will come back :)",
    "Too noisy. Food was OK.", "Fixed my phone in 20 minutes - amazing!", "Clean, cheap & quick.",
]  # fmt: skip
STATUS_TEXTS = [
    "In a meeting, back at 3!", "Out sick today :(", "Heads down - DO NOT DISTURB",
    "On holiday until Monday.", "Lunch break (30 min)", "Working from Lisbon this week",
]  # fmt: skip
EMOJIS = [":coffee:", ":palm_tree:", ":calendar:", ":headphones:", ":face_with_thermometer:"]
CARD_MESSAGES = [
    "Happy Anniversary, love you!", "Get well soon :)", "Congrats on the new job!",
    "Sorry about yesterday. -B", "Thinking of you.", "Happy 30th, Emma!",
]  # fmt: skip
DOCUMENTS = [
    "boarding_pass.pdf", "Thesis Draft v3.docx", "invoice_0425.pdf", "lease agreement.pdf",
    "slides/week 12.pptx", "tickets.pdf",
]  # fmt: skip
PARKING_LOTS = [
    "Central Station Garage", "Old Town Car Park", "Stadium Lot B", "Airport P2",
    "Riverside Parking", "Mall Level 3",
]  # fmt: skip


def _email_of(a: Args) -> Args:
    handle = a["name"].lower().replace("'", "").replace(" ", ".")
    return {**a, "email": f"{handle}@example.com"}


def _rental(a: Args, rng: Rng) -> Args:
    daily = rng.randint(29, 120)
    return {"daily_rate": daily, "total": daily * a["days"], "booking_ref": _id("CR", rng)}


def _tickets(a: Args, rng: Rng) -> Args:
    row, first = rng.choice("CDEFGHJK"), rng.randint(1, 20)
    return {
        "seats": [f"{row}{first + i}" for i in range(a["quantity"])],
        "total": a["quantity"] * rng.randint(35, 110),
    }


EXTRA_TRAIN_TOOLS: list[Tool] = [
    Tool(
        "create_group_chat",
        "Create a group chat with some contacts.",
        [
            Param("name", "string", _pick(GROUP_NAMES), "the group's display name"),
            Param("members", "array", _some(PEOPLE, 1, 4)),
            Param("muted", "boolean", description="mute notifications", required=False),
        ],
        asks=[
            "Create a group chat called {name} with {members}.",
            "Start a group named '{name}' and add {members}.",
            "New group chat: {name}. Members: {members}.",
            ("Make a muted group chat {name} for {members}.", {"muted": True}),
            "Can you set up a chat group with {members}? Call it {name}.",
            (
                "Set up a group called {name} with {members}, and keep notifications on.",
                {"muted": False},
            ),
            "group chat {name} w/ {members}",
            "Add {members} to a new group chat named {name}.",
            ("I want a group '{name}' with {members}, muted please.", {"muted": True}),
        ],
        eval_asks=["Open a chat room named {name} for {members}."],
        result=lambda a, rng: {
            "chat_id": _id("grp_", rng),
            "member_count": len(a["members"]) + 1,
        },
        answers=["Created the group {name} with {member_count} members (id {chat_id})."],
    ),
    Tool(
        "create_project",
        "Create a project in the team's project tracker.",
        [
            Param("name", "string", _pick(PROJECT_NAMES)),
            Param("members", "array", _some(PEOPLE, 1, 4)),
            Param("deadline", "string", _pick(DATES), "YYYY-MM-DD", required=False),
            Param("budget", "number", _pick([500, 1200, 2500.5, 8000, 15000]), required=False),
        ],
        asks=[
            "Create a project called {name} with {members}.",
            "New project '{name}' for {members}, due {deadline}.",
            "Set up the {name} project: team {members}, budget {budget}.",
            "Start a project named {name}. Members: {members}. Deadline {deadline}, "
            "budget {budget} dollars.",
            "I want a new project, {name}, with {members} on it.",
            "Make project {name} (members {members}) with a budget of {budget}.",
            "Open a project for {members} called {name}, deadline {deadline}.",
            "project {name}, people: {members}",
        ],
        eval_asks=["Could you spin up a project, {name}, and put {members} on it?"],
        result=lambda a, rng: {"project_id": _id("prj_", rng), "open_tasks": 0},
        answers=["Done: {name} is set up for {members} (project id {project_id})."],
    ),
    Tool(
        "register_team",
        "Register a team for a local sports league.",
        [
            Param("name", "string", _pick(TEAM_NAMES)),
            Param("sport", "string", enum=("football", "basketball", "volleyball", "hockey")),
            Param("players", "array", _some(PEOPLE, 1, 4)),
            Param("age_group", "string", enum=("youth", "adult", "senior"), required=False),
        ],
        asks=[
            "Register a {sport} team called {name} with players {players}.",
            "Sign up {players} as the {sport} team {name}.",
            "New {sport} team: {name}. Players: {players}. Age group: {age_group}.",
            "Please enter the team {name} in the {sport} league, roster {players}.",
            "Add our {age_group} {sport} team, {name}, with {players}.",
            "Can you register {name} for {sport}? The players are {players}.",
            "{sport} league signup: team {name}, {players}",
            "Put {name} ({players}) in the {age_group} {sport} league.",
        ],
        eval_asks=["Enroll the {sport} side {name}: {players}."],
        result=lambda a, rng: {"team_id": _id("team_", rng), "first_match": rng.choice(DATES)},
        answers=["{name} are registered for {sport}; their first match is on {first_match}."],
    ),
    Tool(
        "add_contact",
        "Add a person to the address book.",
        [
            Param("name", "string", _pick(CONTACT_NAMES), "full name"),
            Param("phone", "string", _pick(PHONES)),
            Param("email", "string", required=False),
            Param("favorite", "boolean", required=False),
        ],
        asks=[
            "Add {name} to my contacts, phone {phone}.",
            "Save a new contact: {name}, {phone}, email {email}.",
            ("Add {name} ({phone}) to my favourites.", {"favorite": True}),
            "Create a contact for {name} with the number {phone}.",
            "New contact {name} - {phone} - {email}",
            "Please store {phone} as {name}'s number.",
            (
                "Save {name}, number {phone}, email {email}, and mark them as a favorite.",
                {"favorite": True},
            ),
            "Can you add {name}? Their number is {phone}.",
        ],
        eval_asks=["Put {name} in my address book: {phone}."],
        result=lambda a, rng: {
            "contact_id": _id("c", rng),
            "total_contacts": rng.randint(20, 400),
        },
        answers=["Saved {name} ({phone}). You now have {total_contacts} contacts."],
        derive=_email_of,
    ),
    Tool(
        "register_pet",
        "Register a pet with the vet clinic.",
        [
            Param("name", "string", _pick(PET_NAMES)),
            Param("species", "string", enum=("dog", "cat", "rabbit", "parrot")),
            Param("age_years", "integer", _ints(1, 14), required=False),
            Param("weight_kg", "number", _pick([0.4, 2.5, 4, 6.8, 12, 23.5, 31]), required=False),
        ],
        asks=[
            "Register my {species} {name}.",
            "Add a pet: {name}, a {species}, {age_years} years old.",
            "Sign up our {species} called {name} at the vet, weight {weight_kg} kg.",
            "New pet profile for {name} ({species}), {age_years} years, {weight_kg} kg.",
            "Please register {name}, our {age_years}-year-old {species}.",
            "I got a {species}! Its name is {name}. Register it please.",
            "register pet {name}, {species}, {weight_kg} kg",
            "Can the clinic register a {species} named {name}?",
        ],
        eval_asks=["Enroll {name} the {species} at the clinic."],
        result=lambda a, rng: {"pet_id": _id("pet", rng), "next_checkup": rng.choice(DATES)},
        answers=["{name} the {species} is registered; the first check-up is on {next_checkup}."],
    ),
    Tool(
        "create_poll",
        "Create a poll in the team chat.",
        [
            Param("question", "string", _pick(list(POLLS))),
            Param("options", "array", _pick(list(POLLS.values()))),
            Param("allow_multiple", "boolean", required=False),
            Param("hours_open", "integer", _pick([2, 6, 12, 24, 48]), required=False),
        ],
        asks=[
            "Create a poll asking '{question}' with the options {options}.",
            "Poll the group: '{question}' Options: {options}.",
            (
                "Make a poll '{question}' with {options}, and let people pick more than one.",
                {"allow_multiple": True},
            ),
            "Start a poll, '{question}', choices {options}, open for {hours_open} hours.",
            ("New poll: '{question}' ({options}), single choice only.", {"allow_multiple": False}),
            "Can you run a {hours_open}-hour poll with the question '{question}' and answers "
            "{options}?",
            "poll '{question}' {options}",
            "Ask everyone '{question}' as a poll: {options}.",
        ],
        eval_asks=["Set up a vote on '{question}' between {options}."],
        result=lambda a, rng: {"link": f"https://poll.example.com/{rng.randint(1000, 9999)}"},
        answers=["Your poll is live: {link}"],
        derive=lambda a: {**a, "options": POLLS[a["question"]]},
    ),
    Tool(
        "book_train_ticket",
        "Book a train ticket between two cities.",
        [
            Param("origin", "string", _pick(CITIES)),
            Param("destination", "string", _pick(CITIES)),
            Param("date", "string", _pick(DATES), "YYYY-MM-DD"),
            Param("travel_class", "string", enum=("first", "second")),
            Param("passengers", "integer", _ints(2, 4), required=False),
        ],
        asks=[
            "Book a {travel_class} class train ticket from {origin} to {destination} on {date}.",
            "I need a train to {destination} from {origin} on {date}, {travel_class} class.",
            "Train {origin}-{destination}, {date}, {travel_class} class, {passengers} passengers.",
            "{origin}/{destination} by train on {date}: {passengers} tickets in {travel_class} "
            "class please",
            "Going to {destination} on {date}, leaving from {origin}. Get me a {travel_class} "
            "class train ticket.",
            "Get {passengers} {travel_class} class train tickets for {date}, {origin} to "
            "{destination}.",
            "How long is the train from {origin} to {destination}? Book me a {travel_class} "
            "class seat on {date}.",
            "rail ticket {origin} -> {destination} {date} {travel_class} class",
        ],
        eval_asks=[
            "Reserve {passengers} train seats {origin} to {destination}, {date}, "
            "{travel_class} class."
        ],
        result=lambda a, rng: {
            "departure": rng.choice(TIMES),
            "price": rng.randint(19, 240),
            "booking_ref": _id("TR", rng),
        },
        answers=[
            "Booked {origin} to {destination} on {date}: the train leaves at {departure} and "
            "costs {price} dollars (ref {booking_ref})."
        ],
        distinct=("origin", "destination"),
    ),
    Tool(
        "rent_car",
        "Rent a car, picked up in one city and returned in another.",
        [
            Param("pickup_city", "string", _pick(CITIES)),
            Param("return_city", "string", _pick(CITIES)),
            Param("days", "integer", _ints(2, 14)),
            Param("car_type", "string", enum=("compact", "sedan", "minivan", "convertible")),
            Param("pickup_date", "string", _pick(DATES), "YYYY-MM-DD", required=False),
            Param("child_seat", "boolean", required=False),
        ],
        asks=[
            "Rent a {car_type} in {pickup_city} for {days} days and drop it off in {return_city}.",
            "One-way car rental {pickup_city}-{return_city}, {car_type}, {days} days.",
            (
                "I need a {car_type} for {days} days, picking up in {pickup_city} and returning "
                "in {return_city}, with a child seat.",
                {"child_seat": True},
            ),
            "Book a {car_type} to {return_city} from {pickup_city} for {days} days starting "
            "{pickup_date}.",
            "{pickup_city}/{return_city} one-way rental: {car_type}, {days} days, pick-up on "
            "{pickup_date}",
            (
                "Can I get a {car_type} from {pickup_city} to {return_city} for {days} days? No "
                "child seat needed.",
                {"child_seat": False},
            ),
            "car hire {pickup_city} to {return_city}, {days} days, {car_type}",
            (
                "On {pickup_date} I'll pick up a {car_type} in {pickup_city}; I'll return it in "
                "{return_city} {days} days later. Add a child seat.",
                {"child_seat": True},
            ),
        ],
        eval_asks=["Hire a {car_type} for {days} days, {pickup_city} to {return_city}."],
        result=_rental,
        answers=[
            "Your {car_type} from {pickup_city} to {return_city} is booked: {daily_rate} dollars "
            "a day, {total} in total (ref {booking_ref})."
        ],
        distinct=("pickup_city", "return_city"),
    ),
    Tool(
        "reschedule_appointment",
        "Move an existing appointment to another date.",
        [
            Param("appointment", "string", _pick(APPOINTMENTS)),
            Param("old_date", "string", _pick(DATES), "current date, YYYY-MM-DD"),
            Param("new_date", "string", _pick(DATES), "new date, YYYY-MM-DD"),
            Param("time", "string", _pick(TIMES), "new time, HH:MM", required=False),
        ],
        asks=[
            "Move my {appointment} from {old_date} to {new_date}.",
            "Reschedule the {appointment} to {new_date} instead of {old_date}.",
            "Can my {appointment} on {old_date} be moved to {new_date} at {time}?",
            "{appointment}: {old_date} -> {new_date}",
            "Push my {appointment} from {old_date} to {new_date}.",
            "I can't make the {appointment} on {old_date}; put it on {new_date} at {time} please.",
            "Change the {appointment} date to {new_date} (it's currently {old_date}).",
            "reschedule {appointment} {old_date} to {new_date}, {time}",
        ],
        eval_asks=["Shift the {appointment} booked for {old_date} over to {new_date}."],
        result=lambda a, rng: {"confirmed": True, "slot": a.get("time", rng.choice(TIMES))},
        answers=["Your {appointment} is moved to {new_date} at {slot}."],
        distinct=("old_date", "new_date"),
    ),
    Tool(
        "transfer_between_accounts",
        "Move money between two of the user's own bank accounts.",
        [
            Param("from_account", "string", enum=ACCOUNTS),
            Param("to_account", "string", enum=ACCOUNTS),
            Param("amount", "number", _amount),
            Param("memo", "string", _pick(MEMOS), required=False),
        ],
        asks=[
            "Move {amount} from {from_account} to {to_account}.",
            "Transfer {amount} dollars to my {to_account} account from {from_account}.",
            "{from_account}/{to_account} transfer of {amount}",
            "Put {amount} into {to_account}, taking it out of {from_account}.",
            "Take {amount} out of my {from_account} account and put it in {to_account} with the "
            "memo '{memo}'.",
            "Transfer {amount} from {from_account} to {to_account}, note: '{memo}'",
            "Can you shift {amount} to {to_account} from my {from_account} account?",
            "{from_account}-{to_account}: {amount}, memo '{memo}'",
        ],
        eval_asks=["I'd like {amount} moved over from {from_account} into {to_account}."],
        result=lambda a, rng: {
            "transfer_id": _id("tr", rng),
            "new_balance": round(rng.uniform(100, 9000), 2),
        },
        answers=[
            "Moved {amount} from {from_account} to {to_account}; the {to_account} balance is "
            "now {new_balance}."
        ],
        distinct=("from_account", "to_account"),
    ),
    Tool(
        "order_coffee",
        "Order coffee from the cafe downstairs.",
        [
            Param(
                "drink", "string", enum=("latte", "cappuccino", "americano", "flat white", "mocha")
            ),
            Param("size", "string", enum=("small", "medium", "large")),
            Param("quantity", "integer", _ints(2, 4)),
            Param("sugars", "integer", _ints(2, 3), "per cup", required=False),
            Param("oat_milk", "boolean", required=False),
        ],
        asks=[
            "Order {quantity} {size} {drink}s.",
            "Can I get {quantity} {size} {drink}s with {sugars} sugars each?",
            ("{quantity} {size} {drink}s with oat milk, please.", {"oat_milk": True}),
            "I'd like {quantity} {drink}s, {size}, {sugars} sugars.",
            ("Get us {quantity} {size} {drink}s, {sugars} sugars, oat milk.", {"oat_milk": True}),
            ("{quantity} x {size} {drink}, regular milk, not oat.", {"oat_milk": False}),
            "coffee order: {quantity} {drink}s, size {size}",
            "We need {quantity} {size} {drink}s for the 10:00 meeting.",
        ],
        eval_asks=["Grab {quantity} {size} {drink}s from the cafe."],
        result=lambda a, rng: {"order_number": rng.randint(10, 99), "ready_in": rng.randint(3, 12)},
        answers=["Order {order_number}: {quantity} {size} {drink}s, ready in {ready_in} minutes."],
    ),
    Tool(
        "buy_tickets",
        "Buy theatre tickets for a show.",
        [
            Param("show", "string", _pick(SHOWS)),
            Param("quantity", "integer", _ints(2, 6)),
            Param("time", "string", _pick(SHOW_TIMES), "HH:MM"),
            Param("date", "string", _pick(DATES), "YYYY-MM-DD", required=False),
            Param("section", "string", enum=("stalls", "balcony", "box"), required=False),
            Param(
                "max_price",
                "number",
                _pick([45, 60, 80.5, 99.9, 120]),
                "per ticket",
                required=False,
            ),
        ],
        asks=[
            "Buy {quantity} tickets for {show} at {time}.",
            "I want {quantity} seats for the {time} show of {show}, in the {section}.",
            "Get me {quantity} tickets to {show} on {date} at {time}.",
            "{show}, {time}, {quantity} tickets please.",
            "Book {quantity} {section} tickets for {show} at {time} on {date}.",
            "Can you buy tickets for {show}? {quantity} of them, for the {time} performance, "
            "max {max_price} each.",
            "{quantity} tickets for {show} at {time}, no more than {max_price} per ticket.",
            "tickets x{quantity} {show} {time}",
        ],
        eval_asks=["Reserve {quantity} places for {show}, {time} showing."],
        result=_tickets,
        answers=[
            "Got {quantity} tickets for {show} at {time}: seats {seats}, {total} dollars in total."
        ],
    ),
    Tool(
        "create_invoice",
        "Create an invoice for hours worked.",
        [
            Param("client", "string", _pick(CLIENTS)),
            Param("hours", "number", _pick([3, 4.5, 8, 12, 20, 37.5]), "hours worked"),
            Param("rate", "number", _pick([45, 60, 75, 85, 120]), "price per hour"),
            Param("currency", "string", enum=("USD", "EUR", "GBP"), required=False),
            Param("due_in_days", "integer", _pick([7, 14, 30, 60]), required=False),
        ],
        asks=[
            "Invoice {client} for {hours} hours at {rate} per hour.",
            "Create an invoice to {client}: {hours} hours, rate {rate}, due in {due_in_days} days.",
            "Bill {client} {rate} an hour for {hours} hours, in {currency}.",
            "{client} owes me for {hours} hours at a rate of {rate} {currency} per hour. Make the "
            "invoice.",
            "Make an invoice: client {client}, rate {rate}/h, {hours} h.",
            "Please invoice {client}, {hours} hours x {rate}, payable within {due_in_days} days.",
            "New invoice for {client}, {hours} hours at {rate} {currency} an hour, due in "
            "{due_in_days} days",
            "At {rate} per hour, how much do I bill {client} for {hours} hours? Create the "
            "invoice.",
        ],
        eval_asks=["Draft an invoice for {client}: {hours} hours at {rate}."],
        result=lambda a, rng: {
            "invoice_number": f"INV-{rng.randint(1000, 9999)}",
            "total": round(a["hours"] * a["rate"], 2),
        },
        answers=["Invoice {invoice_number} to {client} comes to {total}."],
    ),
    Tool(
        "post_review",
        "Post a review of a local business.",
        [
            Param("business", "string", _pick(BUSINESSES)),
            Param("stars", "integer", _ints(2, 5), "1 to 5"),
            Param("text", "string", _pick(REVIEW_TEXTS)),
            Param("visit_date", "string", _pick(DATES), "YYYY-MM-DD", required=False),
        ],
        asks=[
            "Post a {stars}-star review for {business}: '{text}'",
            "Review {business}, {stars} stars, '{text}'",
            "Leave {business} a review saying '{text}' with {stars} stars.",
            "Give {business} {stars} stars and write '{text}'.",
            "I want to rate {business} {stars} out of 5. Comment: '{text}'",
            "'{text}' - post that as a {stars} star review of {business} (visited {visit_date}).",
            "We went to {business} on {visit_date}. {stars} stars, review: '{text}'",
        ],
        eval_asks=["Rate {business} {stars} stars with the comment '{text}'."],
        result=lambda a, rng: {
            "review_id": _id("rev", rng),
            "average_rating": round(rng.uniform(3, 5), 1),
        },
        answers=[
            "Posted your {stars}-star review of {business}; it now averages {average_rating}."
        ],
    ),
    Tool(
        "update_status",
        "Set the user's status message in the work chat.",
        [
            Param("text", "string", _pick(STATUS_TEXTS)),
            Param(
                "minutes", "integer", _pick([30, 45, 60, 90, 120]), "clear after", required=False
            ),
            Param("emoji", "string", _pick(EMOJIS), required=False),
        ],
        asks=[
            "Set my status to '{text}'.",
            "Update my status: '{text}' for {minutes} minutes.",
            "Change my status to '{text}' with the {emoji} emoji.",
            "Status: '{text}', clear it after {minutes} minutes.",
            "Put '{text}' as my status, emoji {emoji}, for {minutes} minutes.",
            "Can you make my status say '{text}'?",
            "my status should read '{text}'",
        ],
        eval_asks=["Show '{text}' as my chat status."],
        result=lambda a, rng: {"updated": True, "visible_to": rng.randint(5, 80)},
        answers=['Your status now reads "{text}"; {visible_to} teammates can see it.'],
    ),
    Tool(
        "send_flowers",
        "Send a bouquet of flowers to someone.",
        [
            Param("recipient", "string", _pick(PEOPLE)),
            Param("bouquet", "string", enum=("roses", "tulips", "sunflowers", "lilies")),
            Param("card_message", "string", _pick(CARD_MESSAGES), required=False),
            Param("delivery_date", "string", _pick(DATES), "YYYY-MM-DD", required=False),
        ],
        asks=[
            "Send {bouquet} to {recipient}.",
            "Order {bouquet} for {recipient} with a card saying '{card_message}'",
            "Have {bouquet} delivered to {recipient} on {delivery_date}.",
            "Send {recipient} some {bouquet} on {delivery_date}, card: '{card_message}'",
            "Flowers for {recipient}: {bouquet}, please.",
            "Could you get {bouquet} sent to {recipient}? The card should read '{card_message}'",
            "{bouquet} to {recipient} on {delivery_date}",
            "Please send {recipient} a bouquet of {bouquet}.",
        ],
        eval_asks=["Get a bunch of {bouquet} delivered to {recipient}."],
        result=lambda a, rng: {
            "order_id": _id("F", rng),
            "arrives_on": a.get("delivery_date", rng.choice(DATES)),
        },
        answers=["The {bouquet} for {recipient} are ordered ({order_id}), arriving {arrives_on}."],
    ),
    Tool(
        "print_document",
        "Send a document to the office printer.",
        [
            Param("document", "string", _pick(DOCUMENTS)),
            Param("copies", "integer", _ints(2, 5)),
            Param(
                "pages",
                "string",
                _pick(["1-3", "2-5", "4-7", "10-12", "1,3,5"]),
                "page range",
                required=False,
            ),
            Param("color", "boolean", required=False),
            Param("double_sided", "boolean", required=False),
        ],
        asks=[
            "Print {copies} copies of {document}.",
            "Print pages {pages} of {document}, {copies} copies.",
            ("Print {copies} copies of {document} in color.", {"color": True}),
            ("Print {document} double-sided, {copies} copies.", {"double_sided": True}),
            ("{copies} black-and-white copies of {document}, please.", {"color": False}),
            "I need {copies} printouts of {document}, only pages {pages}.",
            (
                "Print {copies} copies of pages {pages} of {document}, double-sided and in color.",
                {"double_sided": True, "color": True},
            ),
            "print {document} x{copies}",
            "Print out {document}, {copies} copies please.",
        ],
        eval_asks=["Make {copies} prints of {document}."],
        result=lambda a, rng: {"job_id": _id("job", rng), "queue_position": rng.randint(1, 6)},
        answers=[
            "Printing {copies} copies of {document} (job {job_id}, #{queue_position} in the queue)."
        ],
    ),
    Tool(
        "reserve_parking",
        "Reserve a parking space.",
        [
            Param("location", "string", _pick(PARKING_LOTS)),
            Param("start_time", "string", _pick(TIMES), "HH:MM"),
            Param("hours", "integer", _ints(2, 9)),
            Param("date", "string", _pick(DATES), "YYYY-MM-DD", required=False),
            Param("vehicle", "string", enum=("car", "motorbike", "van"), required=False),
            Param("ev_charging", "boolean", required=False),
        ],
        asks=[
            "Reserve parking at {location} from {start_time} for {hours} hours.",
            "Book me a spot at {location} for {hours} hours starting {start_time}.",
            (
                "I need a parking space with EV charging at {location}, {start_time}, {hours} "
                "hours.",
                {"ev_charging": True},
            ),
            "Park at {location} on {date} at {start_time} for {hours} hours.",
            "Parking for my {vehicle} at {location}: {hours} hours from {start_time}.",
            (
                "Reserve {location}, {start_time}, {hours}h, no charger needed.",
                {"ev_charging": False},
            ),
            "Can you save me a {vehicle} spot at {location} on {date}, {start_time}, for {hours} "
            "hours?",
            "parking {location} {start_time} {hours} hrs",
        ],
        eval_asks=["Hold a parking space at {location} for {hours} hours from {start_time}."],
        result=lambda a, rng: {
            "spot": f"{rng.choice('ABCD')}{rng.randint(1, 60)}",
            "price": a["hours"] * rng.randint(2, 6),
        },
        answers=[
            "Spot {spot} at {location} is yours from {start_time} for {hours} hours ({price} "
            "dollars)."
        ],
    ),
]

EXTRA_TOOLS: dict[str, Tool] = {tool.name: tool for tool in EXTRA_TRAIN_TOOLS}

# ----------------------------------------------------------------------------------------------
# Requests that need no tool: (prompt, answer) pairs; held-out ones only appear in eval.
# ----------------------------------------------------------------------------------------------
CHAT = [
    ("Hi!", "Hello! How can I help you today?"),
    ("Hello there", "Hi! What can I do for you?"),
    ("How are you?", "I'm doing well, thank you! How can I help?"),
    ("Good morning!", "Good morning! What can I do for you today?"),
    ("Thanks a lot!", "You're welcome!"),
    ("Thank you, that's all.", "You're welcome. Have a great day!"),
    ("Who are you?", "I'm SmolLM, an AI assistant. I can answer questions and use tools."),
    ("What can you do?", "I can answer questions, chat, and use the tools I'm given."),
    ("Tell me a joke.", "Why did the scarecrow win an award? Because he was outstanding in his "
                        "field!"),
    ("Write a haiku about autumn.", "Crisp leaves drift and fall,\ngolden light on quiet "
                                    "paths,\nthe year exhales slow."),
    ("Give me a synonym for happy.", "Joyful."),
    ("What's the opposite of cold?", "Hot."),
    ("Say something nice.", "You're doing great, and I'm glad to help!"),
    ("Can you keep a secret?", "I don't remember past conversations, so your secret is safe."),
    ("I'm bored.", "How about a short walk, a new book, or learning a fun fact?"),
    ("Goodbye!", "Goodbye! Take care."),
    ("Spell the word cat backwards.", "tac"),
    ("Translate 'hello' to French.", "Bonjour."),
    ("What's your favorite color?", "I don't have one, but many people love blue."),
    ("Give me a tip for better sleep.", "Keep a regular schedule and avoid screens before bed."),
    ("Summarize this: The meeting is moved to Monday at noon.", "The meeting is now on Monday "
                                                                "at noon."),
    ("Is this sentence correct: 'She go to school.'", "Not quite: it should be 'She goes to "
                                                      "school.'"),
    ("Write a limerick about a cat.", "A cat with a hat on its head\nwould nap on the warm kitchen "
                                      "bread;\nthe baker said \"Shoo!\"\nthe cat said \"Mew!\"\n"
                                      "and went back to sleep on the bed."),
    ("Write a sentence using the word 'river'.", "The river sparkled in the morning sun."),
    ("Make up a name for a robot.", "How about Bolt?"),
    ("Rewrite this formally: 'gonna be late'", "I am going to be late."),
    ("Give me three fruit names.", "Apple, banana and cherry."),
    ("What rhymes with moon?", "Spoon, tune and June."),
    ("Finish this sentence: The early bird...", "...catches the worm."),
    ("Help me write a birthday message for my mom.", "Happy birthday, Mom! Thank you for "
                                                     "everything you do."),
    ("Suggest a fun weekend activity.", "Try a picnic in the park or a board game night."),
    ("Explain a rainbow to a child.", "Sunlight shines through raindrops and splits into "
                                      "colours."),
    ("Count from one to five.", "One, two, three, four, five."),
    ("Can you recommend a classic novel?", "Try Pride and Prejudice by Jane Austen."),
    ("Write a two-line poem about rain.", "Soft rain on the roof,\nthe whole town hums asleep."),
    ("What colour do red and white make together?", "Pink."),
    ("I feel stressed.", "Take a slow breath. A short walk or a break might help."),
    ("Tell me a fun fact.", "Octopuses have three hearts."),
    ("Give me a motivational quote.", "\"The secret of getting ahead is getting started.\""),
    ("Describe a sunset in one sentence.", "The sky melts into orange and pink as the sun "
                                           "slips away."),
    ("Make this shorter: 'I would like to let you know that I will be late.'", "I'll be late."),
    ("Pick a random animal.", "A penguin."),
]  # fmt: skip
EVAL_CHAT = [
    ("Hey, what's up?", "Not much! How can I help you?"),
    ("Nice to meet you.", "Nice to meet you too!"),
    ("Tell me something funny.", "I told my computer a joke, but it didn't get it."),
    ("Write a short poem about the sea.", "Waves roll in and out,\nsalt and foam beneath the "
                                          "sky,\nthe sea hums its song."),
    ("What's a synonym for big?", "Large."),
    ("Cheers, that helped.", "Glad to hear it!"),
    ("Can you help me think of a name for my cat?", "How about Luna, Milo or Pepper?"),
    ("Rewrite this more politely: 'Give me the report.'", "Could you please send me the "
                                                          "report?"),
    ("Compose a haiku about snow.", "White hush on the hills,\nfootprints fade beneath new "
                                    "flakes,\nthe world holds its breath."),
    ("Suggest a name for a goldfish.", "Bubbles!"),
    ("Write one sentence about friendship.", "A good friend makes hard days lighter."),
    ("Make this sound happier: 'It rained all day.'", "The rain gave everything a fresh "
                                                      "sparkle today!"),
    ("Give me a word that rhymes with cat.", "Hat."),
    ("What's a good way to start my morning?", "Drink a glass of water and stretch a little."),
]  # fmt: skip

CAPITALS = {
    "France": "Paris", "Japan": "Tokyo", "Germany": "Berlin", "Spain": "Madrid",
    "Italy": "Rome", "Egypt": "Cairo", "Peru": "Lima", "Norway": "Oslo", "Canada": "Ottawa",
    "Australia": "Canberra", "Kenya": "Nairobi", "Portugal": "Lisbon", "Austria": "Vienna",
    "Ireland": "Dublin", "Greece": "Athens", "Thailand": "Bangkok", "Poland": "Warsaw",
    "Finland": "Helsinki", "Vietnam": "Hanoi", "Chile": "Santiago", "Brazil": "Brasilia",
    "Sweden": "Stockholm", "Denmark": "Copenhagen", "Mexico": "Mexico City",
}  # fmt: skip
EVAL_CAPITALS = {
    "Belgium": "Brussels", "Hungary": "Budapest", "Argentina": "Buenos Aires",
    "Turkey": "Ankara", "Netherlands": "Amsterdam", "Cuba": "Havana",
}  # fmt: skip
CAPITAL_ASKS = [
    "What is the capital of {country}?",
    "Which city is the capital of {country}?",
    "capital of {country}?",
]
EVAL_CAPITAL_ASKS = ["Name the capital city of {country}."]
CAPITAL_ANSWER = "The capital of {country} is {capital}."

FACTS = [
    ("Who wrote Romeo and Juliet?", "William Shakespeare wrote Romeo and Juliet."),
    ("How many legs does a spider have?", "A spider has eight legs."),
    ("What is the largest planet in our solar system?", "Jupiter is the largest planet."),
    ("What gas do plants absorb from the air?", "Plants absorb carbon dioxide."),
    ("How many days are in a week?", "There are seven days in a week."),
    ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au."),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci painted the Mona Lisa."),
    ("What is the freezing point of water in Celsius?", "Water freezes at 0 degrees Celsius."),
    ("What is photosynthesis?", "Photosynthesis is how plants turn light, water and carbon "
                                "dioxide into sugar and oxygen."),
    ("How many continents are there?", "There are seven continents."),
    ("What is the longest river in Africa?", "The Nile is the longest river in Africa."),
    ("What language is spoken in Brazil?", "Portuguese is spoken in Brazil."),
    ("Explain what a noun is.", "A noun is a word that names a person, place, thing or idea."),
    ("What does DNA stand for?", "DNA stands for deoxyribonucleic acid."),
    ("Who was the first person to walk on the Moon?", "Neil Armstrong, in 1969."),
    ("What is the tallest mountain on Earth?", "Mount Everest is the tallest mountain."),
    ("Why is the sky blue?", "Air scatters blue sunlight more than other colours, so the sky "
                             "looks blue."),
    ("What is the main ingredient of guacamole?", "Avocado is the main ingredient."),
    ("How many sides does a hexagon have?", "A hexagon has six sides."),
    ("What is the speed of light?", "About 300,000 kilometres per second."),
    ("What do bees make?", "Bees make honey and beeswax."),
    ("What is an adjective?", "An adjective is a word that describes a noun."),
    ("Which ocean is the largest?", "The Pacific Ocean is the largest."),
    ("What is the hardest natural material?", "Diamond is the hardest natural material."),
    ("How many minutes are in an hour?", "There are sixty minutes in an hour."),
    ("What is the opposite of north?", "South."),
    ("Which planet is known as the Red Planet?", "Mars is known as the Red Planet."),
    ("What is H2O?", "H2O is water."),
    ("Who invented the telephone?", "Alexander Graham Bell is credited with it."),
    ("How many strings does a standard guitar have?", "A standard guitar has six strings."),
    ("What is the largest mammal?", "The blue whale is the largest mammal."),
    ("What are the three primary colours?", "Red, yellow and blue."),
]  # fmt: skip
EVAL_FACTS = [
    ("Who wrote Hamlet?", "William Shakespeare wrote Hamlet."),
    ("How many planets are in the solar system?", "There are eight planets."),
    ("What is the boiling point of water at sea level?", "100 degrees Celsius."),
    ("What is a verb?", "A verb is a word for an action or a state."),
    ("Which animal is known as the king of the jungle?", "The lion."),
    ("What colour do you get by mixing blue and yellow?", "Green."),
    ("Who discovered penicillin?", "Alexander Fleming discovered penicillin."),
    ("How many hours are in a day?", "There are 24 hours in a day."),
    ("How many weeks are in a year?", "There are 52 weeks in a year."),
    ("Which gas do humans breathe out?", "Humans breathe out carbon dioxide."),
    ("What language is spoken in Japan?", "Japanese is spoken in Japan."),
    ("Who wrote Pride and Prejudice?", "Jane Austen wrote Pride and Prejudice."),
]  # fmt: skip

SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "You are a concise assistant. Use tools when they help.",
    "You are a friendly assistant with access to tools.",
]
EVAL_SYSTEM_PROMPTS = ["You are an efficient assistant. Answer briefly."]
CONNECTORS = ["{a} Also, {b}", "{a} And {b}", "{a} Then {b}", "Two things: {a} {b}"]
EVAL_CONNECTORS = ["{a} After that, {b}"]

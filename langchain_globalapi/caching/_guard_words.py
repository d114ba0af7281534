"""The lexical guard's word tables: negators, opposites, numbers, units and name aliases.

Kept apart from the rules in `guard.py` so each table reads as a list a reviewer can extend.
Entries are lowercase; verbs and nouns are listed in their base form, because the guard
compares light stems ("failed", "fails" -> "fail").
"""

from __future__ import annotations

# Words that flip a yes/no answer the same way ("no", "not", "never", "isn't").
NEGATORS = frozenset(
    {
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor",
        "without", "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
        "werent", "wont", "wouldnt", "shouldnt", "couldnt", "hasnt", "havent", "hadnt",
        "mustnt", "neednt", "aint", "unless", "except", "excluding",
    }
)  # fmt: skip
NEGATION_KIND = {
    "without": "without",
    "unless": "except",
    "except": "except",
    "excluding": "except",
}
# Verbs that negate the verb after "to": "fails to find" = "doesn't find".
NEGATING_BEFORE_TO = frozenset({"fail", "refuse", "decline", "forget", "neglect", "unable"})
# Verbs that negate the -ing verb after them: "stop receiving" = "not receive".
NEGATING_BEFORE_ING = frozenset({"stop", "quit", "cease"})
# Verbs that negate whatever follows them.
NEGATING_VERBS = frozenset({"avoid", "prevent", "lack"})

# Common polar opposites, by domain; embeddings put each pair side by side (cosine ~0.95).
OPPOSITES = (
    # general
    ("open", "close"), ("open", "closed"), ("good", "bad"), ("best", "worst"),
    ("more", "less"), ("more", "fewer"), ("most", "least"), ("high", "low"),
    ("maximum", "minimum"), ("max", "min"), ("large", "small"), ("big", "small"),
    ("long", "short"), ("wide", "narrow"), ("thick", "thin"), ("heavy", "light"),
    ("light", "dark"), ("new", "old"), ("young", "old"), ("early", "late"), ("fast", "slow"),
    ("first", "last"), ("before", "after"), ("start", "stop"), ("start", "end"),
    ("begin", "end"), ("always", "never"), ("all", "none"), ("everything", "nothing"),
    ("true", "false"), ("yes", "no"), ("on", "off"), ("in", "out"), ("up", "down"),
    ("above", "below"), ("over", "under"), ("pre", "post"), ("left", "right"),
    ("top", "bottom"), ("front", "back"), ("forward", "backward"), ("north", "south"),
    ("east", "west"), ("positive", "negative"), ("plus", "minus"), ("single", "double"),
    ("same", "different"), ("easy", "hard"), ("easy", "difficult"), ("safe", "dangerous"),
    ("success", "failure"), ("succeed", "fail"), ("pass", "fail"), ("win", "lose"),
    ("gain", "lose"), ("rise", "fall"), ("increase", "decrease"),
    ("increase", "reduce"), ("add", "remove"), ("add", "subtract"), ("enable", "disable"),
    ("allow", "deny"), ("allow", "block"), ("accept", "reject"), ("accept", "decline"),
    ("accept", "refuse"), ("agree", "refuse"), ("approve", "reject"), ("include", "exclude"),
    ("permit", "forbid"), ("required", "optional"), ("mandatory", "optional"),
    # commerce and money
    ("buy", "sell"), ("buyer", "seller"), ("cheap", "expensive"), ("profit", "loss"),
    ("income", "expense"), ("debit", "credit"), ("deposit", "withdraw"), ("lend", "borrow"),
    ("send", "receive"), ("pay", "refund"), ("asset", "liability"), ("landlord", "tenant"),
    ("employer", "employee"), ("arrival", "departure"), ("arrive", "depart"),
    ("domestic", "international"),
    # computing
    ("key", "value"), ("read", "write"), ("push", "pull"), ("push", "pop"),
    ("head", "tail"), ("client", "server"), ("local", "remote"), ("public", "private"),
    ("sync", "async"), ("ascending", "descending"), ("asc", "desc"), ("login", "logout"),
    ("upgrade", "downgrade"), ("online", "offline"), ("compress", "decompress"),
    ("serialize", "deserialize"), ("merge", "split"), ("show", "hide"),
    # health, food, weather, law
    ("hot", "cold"), ("warm", "cool"), ("wet", "dry"), ("raw", "cooked"), ("sweet", "sour"),
    ("acute", "chronic"), ("benign", "malignant"), ("day", "night"), ("morning", "evening"),
    ("summer", "winter"), ("guilty", "innocent"), ("plaintiff", "defendant"),
    ("pros", "cons"), ("benefit", "risk"),
)  # fmt: skip
# "un-safe", "non-profit", "in-valid", "dis-agree": the prefixed word negates the stem.
NEGATING_PREFIXES = ("un", "non", "in", "im", "il", "ir", "dis")
# "in-side"/"out-side", "up-load"/"down-load", "en-crypt"/"de-crypt", "im-port"/"ex-port".
OPPOSITE_PREFIXES = (
    ("in", "out"), ("up", "down"), ("en", "de"), ("im", "ex"), ("in", "ex"),
    ("over", "under"), ("pre", "post"), ("inter", "intra"), ("hyper", "hypo"),
)  # fmt: skip

CARDINALS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "thousand": "1000", "million": "1000000", "billion": "1000000000", "half": "0.5",
    "once": "1", "twice": "2", "thrice": "3",
}  # fmt: skip
ORDINALS = {
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
    "sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
}  # fmt: skip
# "which one", "no one", "the one": "one" as a pronoun, not a count.
PRONOUN_ONE_AFTER = frozenset(
    {"which", "no", "any", "every", "each", "the", "this", "that", "some", "another"}
)
# "once I log in": a conjunction, not "one time".
CONJUNCTION_ONCE_BEFORE = frozenset(
    {"i", "you", "he", "she", "it", "we", "they", "the", "a", "an", "my", "your", "our", "this"}
)
# Unit spellings that mean the same unit; anything else is compared by its stem.
UNIT_ALIASES = {
    "kilogram": "kg", "kilo": "kg", "kgs": "kg", "pound": "lb", "lbs": "lb",
    "gram": "g", "ounce": "oz", "celsius": "°c", "c": "°c", "fahrenheit": "°f", "f": "°f",
    "kilometer": "km", "kilometre": "km", "mile": "mi", "meter": "m", "metre": "m",
    "hour": "h", "hr": "h", "minute": "min", "sec": "s", "yr": "year", "mo": "month",
    "gigabyte": "gb", "megabyte": "mb", "dollar": "$", "usd": "$", "buck": "$",
    "euro": "€", "eur": "€", "gbp": "£", "percent": "%",
}  # fmt: skip
# Country names and their adjective/abbreviation forms name the same thing.
NAME_ALIASES = {
    "american": "us", "usa": "us", "united states": "us", "america": "us",
    "british": "uk", "britain": "uk", "united kingdom": "uk", "french": "france",
    "german": "germany", "japanese": "japan", "chinese": "china", "spanish": "spain",
    "italian": "italy", "canadian": "canada", "mexican": "mexico", "indian": "india",
    "brazilian": "brazil", "australian": "australia", "dutch": "netherlands",
    "swiss": "switzerland", "portuguese": "portugal", "irish": "ireland", "korean": "korea",
    "european": "eu", "europe": "eu",
}  # fmt: skip
# Words between two names that make their order part of the meaning ("from A to B").
ORDER_LINKS = frozenset(
    {"to", "into", "from", "than", "over", "before", "after", "with", "by", "onto", "->", "→"}
)
# Of those, the ones that reverse it: "B from A" = "A to B".
REVERSING_LINKS = frozenset({"from", "after"})
# Function words: they end a number's unit window and never quantify.
STOPWORDS = frozenset(
    {
        "a", "an", "the", "to", "of", "in", "on", "at", "by", "for", "from", "with", "into",
        "and", "or", "but", "per", "is", "are", "was", "were", "be", "do", "does", "did",
        "i", "you", "it", "we", "they", "my", "your", "me", "this", "that", "than", "as",
        "if", "so", "more", "less", "last", "all", "ago", "later", "before", "after",
    }
)  # fmt: skip
# Words that tie a phrase to its role ("convert miles TO km", "soda FOR powder"). The same
# words in a new order with these in the same sequence are swapped roles; when these move
# with their phrases ("from Paris to Rome" / "to Rome from Paris") it is a rewording.
ROLE_LINKS = ORDER_LINKS | frozenset(
    {"for", "in", "on", "at", "of", "as", "per", "about", "via", "under", "between", "instead"}
)
# Symmetric joins: "let and const" = "const and let".
SYMMETRIC_LINKS = frozenset({"and", "or", "vs", "versus"})

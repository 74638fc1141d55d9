# ruff: noqa: RUF001, RUF002, SIM905  (currency spellings in Cyrillic, Arabic, full-width... are the point here)
"""Currency data for price parsing: ISO 4217 codes and exponents, the symbols and local words shops
write for them, and which currency each country uses (to pick one among the candidates of an
ambiguous marker such as '$', 'kr' or '¥').

A *marker* is text that names a currency in a price: an ISO code ('EUR'), a sign ('€', 'R$'), or a
local word or abbreviation ('руб.', 'zł', 'KD'). Each spelling maps to its candidate currencies,
the usual one first. Markers made of letters only count right next to an amount ('1 299 Kč',
'Rp 50.000'), so that words in a title ('TRY it', 'AMD Ryzen', 'kn' in a sentence) are not taken
for currencies; signs and ISO codes count anywhere in the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# ISO 4217 minor-unit exponents that differ from the usual 2. HUF is 2 in ISO 4217 but nobody
# writes fillér: this project has always counted it in whole forints (stored data depends on it).
EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"), 0),
    **dict.fromkeys(("UYI", "VND", "VUV", "XAF", "XOF", "XPF", "HUF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
# Decimals shops actually write where that differs from the exponent: Iraqi fils are not used, so
# "25,000 IQD" is twenty-five thousand (for KWD, "1,250" is one dinar 250 fils); nor are the minor
# units of these currencies, which CLDR writes without decimals ('Rp 1.235', '$ 19.990' in Colombia).
WRITTEN_DECIMALS = dict.fromkeys("AFN ALL COP IDR IQD IRR KPW LAK LBP MGA MMK SLL SOS SYP YER".split(), 0)

# Active ISO 4217 codes (plus a few withdrawn ones that old pages still show: HRK, VEF, SLL, ZWL).
ISO_CODES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SLL SOS SRD SSP STN SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
    VED VEF VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()
)
# Codes that are also everyday words or names ('ALL', 'TRY', 'AMD Ryzen', 'PEN'): markers only
# next to an amount.
WORDLIKE_CODES = frozenset("ALL AMD ANG BAM BOB BTN CUP DOP GEL LAK MAD MNT MOP PAB PEN SOS TOP TRY".split())

ANY, BEFORE, AFTER = 0, 1, 2  # where a marker may stand relative to its amount


@dataclass(frozen=True, slots=True)
class Marker:
    """What a currency marker may mean. `adjacent`: counts only next to an amount. `side`: ANY, or
    only BEFORE / AFTER the amount ('R 99' but not '99 R'). `scale`: 0, or -2 for cent signs
    (99¢, 99p: hundredths of the currency). `local`: see `fits`."""

    candidates: tuple[str, ...]
    adjacent: bool
    side: int = ANY
    scale: int = 0
    local: bool = False  # counts only on a page that hints at a country paying in a candidate (fits)

    def fits(self, default: str | None, countries: tuple[str, ...]) -> bool:
        """Whether the marker may count on a page of `default` currency hinting at `countries`:
        a local one ('K' in Papua New Guinea, 'Le' in Sierra Leone: a letter or a word elsewhere)
        only where it is the money."""
        if not self.local or default in self.candidates:
            return True
        return any(COUNTRY_CURRENCY.get(country) in self.candidates for country in countries)


_DOLLARS = (
    "USD CAD AUD NZD HKD SGD MXN TWD ARS CLP COP UYU BSD BBD BZD BMD BND FJD GYD JMD KYD LRD NAD SBD SRD "
    "TTD XCD DOP CUP"
)
_RUPEES = "INR PKR LKR NPR MUR SCR"
_DINARS = "RSD DZD TND IQD LYD JOD KWD BHD MKD"
_RIYALS = "SAR QAR OMR YER IRR"

# (spellings separated by '|', candidate currencies (usual first), options). `cases`: also match
# the lower-case, upper-case and capitalised spellings.
_TABLE: list[tuple[str, str, dict[str, object]]] = [
    # -- dollars and pesos
    ("$|＄", _DOLLARS, {}),
    ("US$|U$S|U$|USD$|US $", "USD", {}),
    ("CA$|C$|Can$|CAD$|CA $|C $", "CAD NIO", {}),
    ("AU$|A$|AUD$|AU $", "AUD", {}),
    ("NZ$|NZD$|NZ $", "NZD", {}),
    ("HK$|HKD$|HK $", "HKD", {}),
    ("S$|SGD$", "SGD", {}),
    ("MX$|Mex$|MXN$|MX $", "MXN", {}),
    ("NT$|NTD|NT $", "TWD", {}),
    ("R$", "BRL", {}),
    ("AR$|ARS$", "ARS", {}),
    ("CLP$", "CLP", {}),
    ("COL$|COP$", "COP", {}),
    ("$U|$UY|UYU$", "UYU", {}),
    ("RD$", "DOP", {}),
    ("J$", "JMD", {}),
    ("TT$", "TTD", {}),
    ("BZ$", "BZD", {}),
    ("Bds$", "BBD", {}),
    ("EC$", "XCD", {}),
    ("FJ$", "FJD", {}),
    ("T$", "TOP", {}),
    ("WS$", "WST", {}),
    ("N$", "NAD", {}),
    ("B$", "BND BSD", {}),
    ("MOP$", "MOP", {}),
    ("dollar|dollars", _DOLLARS, {"cases": True}),
    ("US dollar|US dollars|U.S. dollars", "USD", {}),
    ("Australian dollar|Australian dollars", "AUD", {}),
    ("Canadian dollar|Canadian dollars", "CAD", {}),
    ("New Zealand dollar|New Zealand dollars", "NZD", {}),
    ("Hong Kong dollar|Hong Kong dollars", "HKD", {}),
    ("Singapore dollar|Singapore dollars", "SGD", {}),
    # Russian speakers' dollar, too ('100 долларов').
    ("доллар|доллара|долларов", "USD", {}),
    # Spanish speakers' dollar is the US dollar, even where the peso is the money ('250 dólares').
    ("dólar|dólares|dolar|dolares", "USD", {"cases": True}),
    ("peso|pesos", "MXN ARS CLP COP UYU PHP DOP CUP", {"cases": True}),
    ("peso mexicano|pesos mexicanos", "MXN", {}),
    ("peso argentino|pesos argentinos", "ARS", {}),
    ("peso chileno|pesos chilenos", "CLP", {}),
    ("peso colombiano|pesos colombianos", "COP", {}),
    ("peso uruguayo|pesos uruguayos", "UYU", {}),
    ("¢", _DOLLARS, {"side": AFTER, "scale": -2}),
    # -- euro, pound, Swiss franc, Nordic crowns
    ("€|EURO|Euro|euro|Euros|euros|eur|евро|ευρώ", "EUR", {}),
    ("£|GB£|UK£", "GBP EGP GIP FKP SHP LBP SYP SSP", {}),
    ("pound|pounds", "GBP EGP", {"cases": True}),
    ("p", "GBP", {"side": AFTER, "scale": -2}),
    ("Fr.|Fr|SFr.|SFr|sFr.|fr.|Fr.-", "CHF", {}),
    ("franc|francs|franchi", "CHF XOF XAF XPF", {"cases": True}),
    ("kr|Kr|KR", "SEK NOK DKK ISK", {}),
    ("kr.|Kr.|KR.", "DKK NOK SEK ISK", {}),
    (":-", "SEK", {}),
    ("Skr|SKr", "SEK", {}),
    ("NKr|Nkr|nkr", "NOK", {}),
    ("DKr|Dkr|dkr", "DKK", {}),
    ("Ikr", "ISK", {}),
    ("kronor|kronur|kroner|krone|krónur", "SEK NOK DKK ISK", {"cases": True}),
    # -- Central and Eastern Europe
    ("zł|zł.|zl|Zł|ZŁ|złotych|złote|złoty|zlotych|zlote|zloty", "PLN", {}),
    ("Kč|Kč.|kč|KČ|Kc|korun", "CZK", {}),
    ("Ft|Ft.|FT|forint", "HUF", {}),
    ("lei|Lei|LEI|leu|Leu", "RON MDL", {}),
    ("kn|Kn|KN|kuna", "HRK", {}),
    ("лв|лв.|Лв|Лв.|ЛВ|лева|лев|leva", "BGN", {}),
    ("din|din.|Din|Din.", _DINARS, {}),
    ("дин|дин.|Дин.|динара|динар", "RSD MKD", {}),
    ("ден|ден.|Ден.|ДЕН|денари", "MKD", {}),
    ("den|den.", "MKD", {"local": True}),
    ("KM|КМ", "BAM", {}),
    ("Lek|lek|Lekë|lekë|LEK", "ALL", {}),
    ("L", "HNL ALL MDL LSL", {"side": BEFORE}),
    ("L.", "HNL", {"side": BEFORE}),
    # -- former Soviet Union
    ("₽|руб|руб.|Руб|Руб.|РУБ|рублей|рубля|рубль|р.|Р.|rub|rub.|Rub", "RUB BYN", {}),
    ("р|Р", "RUB BYN", {"side": AFTER}),
    ("бел. руб.|бел.руб.", "BYN", {}),
    ("Br", "BYN ETB", {}),
    ("₴|грн|грн.|Грн|Грн.|ГРН|гривень|гривні|гривня|гривна|гривен|hrn", "UAH", {}),
    ("₸|тг|тг.|Тг|тенге|теңге", "KZT", {}),
    ("сом|сом.|Сом", "KGS", {}),
    ("сомони|смн", "TJS", {}),
    ("сум|сўм|so'm|so‘m|soʻm|сум.", "UZS", {}),
    ("₼|ман.|manat|манат", "AZN TMT", {}),
    ("₾|ლარი|лари|lari", "GEL", {}),
    ("֏|դր.|դրամ|драм", "AMD", {}),
    # -- Middle East and North Africa
    ("₺|TL|tl|Tl|TL.|YTL", "TRY", {}),
    ("lira|liras|lirası|Lira", "TRY", {}),
    ('₪|ש״ח|ש"ח|שח|NIS|שקל', "ILS", {}),
    ("shekel|shekels", "ILS", {"cases": True}),
    ("د.إ|د.إ.|Dhs|Dhs.|dhs|Dirham|dirham|dirhams|درهم", "AED MAD", {}),
    ("DH|Dh|dh", "MAD AED", {}),
    ("د.م.|د.م", "MAD", {}),
    ("ر.س|ر.س.|ريال سعودي", "SAR", {}),
    ("SR", "SAR SCR", {}),
    ("ر.ق|ر.ق.|QR|QR.", "QAR", {}),
    ("ر.ع.|ر.ع|RO|R.O.", "OMR", {}),
    ("ريال|﷼|riyal|rial|Riyal|Rial", _RIYALS, {}),
    ("د.ك|د.ك.|KD|K.D.", "KWD", {}),
    ("د.ب|د.ب.|BD|B.D.", "BHD", {}),
    ("د.ا|د.أ|JD|J.D.", "JOD", {}),
    ("ع.د|د.ع|د.ع.", "IQD", {}),
    ("ل.د|د.ل|د.ل.|LD", "LYD", {}),
    ("ر.ي|ر.ي.", "YER", {}),
    ("أ.م|أ.م.", "MRU", {}),
    ("د.ج|DA", "DZD", {}),
    ("د.ت|DT", "TND", {}),
    ("dinar|dinars|dinara|Dinar|دينار", _DINARS, {}),
    ("ج.م|ج.م.|E£|£E|LE|L.E.|L.E|جنيه", "EGP", {}),
    ("ل.ل|ل.ل.|L£", "LBP", {}),
    ("ل.س|ل.س.", "SYP", {}),
    ("LS", "SYP", {"local": True}),
    ("ج.س", "SDG", {}),
    ("؋|Afs|AFS", "AFN", {}),
    ("ریال|تومان", "IRR", {}),
    # -- South and Central Asia
    ("₹|रु|रु.|रू|₹.|Rs|Rs.|RS|RS.|rs|rs.", _RUPEES, {}),
    ("₨", "PKR INR LKR NPR MUR SCR", {}),
    ("Rupees|rupees|Rupee|rupee|रुपये|रुपए", _RUPEES, {}),
    ("රු|රු.|SLRs", "LKR", {}),
    ("NRs|NRs.|नेरू", "NPR", {}),
    ("PRs", "PKR", {}),
    ("৳|Tk|Tk.|TK|টাকা|Taka|taka", "BDT", {}),
    ("Nu.", "BTN", {}),
    ("Rf|ރ.", "MVR", {}),
    # -- East and South-East Asia
    ("¥|￥|JP¥", "JPY CNY", {}),
    ("円|日元|yen|Yen|YEN", "JPY", {}),
    ("元|圓", "CNY TWD HKD MOP", {}),
    ("RMB|rmb|RMB¥|人民币|人民幣|CN¥|yuan|Yuan|юань|юаня|юаней", "CNY", {}),
    ("新台幣|台幣|新台币", "TWD", {}),
    ("港元|港幣|港币", "HKD", {}),
    ("澳門元|澳门元", "MOP", {}),
    ("₩|원|won|Won", "KRW", {}),
    ("₫|đ|Đ|VNĐ|VNđ|vnđ|vnd|đồng|Đồng|dong", "VND", {}),
    ("฿|บาท|บ.|Baht|baht", "THB", {}),
    ("₱|Php|PhP|Php.|piso", "PHP", {}),
    ("Rp|Rp.|RP|rp|rp.|rupiah|Rupiah", "IDR", {}),
    ("RM|Rm|RM.|ringgit|Ringgit", "MYR", {}),
    ("₭|Kip|kip", "LAK", {}),
    ("៛|រៀល", "KHR", {}),
    ("₮|төг|төгрөг", "MNT", {}),
    ("Ks|Ks.|ကျပ်", "MMK", {}),
    # -- Africa
    ("₦|Naira|naira", "NGN", {}),
    ("KSh|Ksh|Ksh.|KSh.|KShs|Kshs|Kshs.", "KES", {}),
    ("TSh|Tsh|TSh.", "TZS", {}),
    ("USh|Ush|UShs|Shs", "UGX", {}),
    ("GH₵|GH¢|₵|GHC|GH¢.|Ghc", "GHS", {}),
    ("R", "ZAR", {"side": BEFORE}),
    ("Rand|rand", "ZAR", {}),
    ("FCFA|CFA|F CFA|F\u00a0CFA|F\u202fCFA|F.CFA|Fcfa", "XOF XAF", {}),
    ("CFP|F CFP|FCFP", "XPF", {}),
    ("Kz|KZ|Kz.", "AOA", {}),
    ("MT|Mt|MTn", "MZN", {}),
    ("ZK|Zk|ZMK", "ZMW", {}),
    ("MK|Mk", "MWK", {}),
    ("FRw|RF|Frw", "RWF", {}),
    ("FBu|Fbu", "BIF", {}),
    ("Fdj", "DJF", {}),
    ("FC", "CDF", {"local": True}),
    ("Ariary|ariary", "MGA", {}),
    ("Ar", "MGA", {"local": True}),
    ("Nfk", "ERN", {}),
    ("D", "GMD", {"local": True}),
    ("E", "SZL", {"local": True}),
    ("K", "PGK ZMW MMK", {"local": True}),
    ("S", "SOS", {"local": True}),
    ("Le", "SLE SLL", {"local": True}),
    ("UM", "MRU", {"local": True}),
    ("CF", "KMF", {"local": True}),
    ("FG", "GNF", {"local": True}),
    ("Db", "STN", {"local": True}),
    ("VT", "VUV", {"local": True}),
    ("Birr|birr|ብር", "ETB", {}),
    ("P", "PHP BWP", {"side": BEFORE}),
    ("Pula", "BWP", {}),
    # -- Latin America
    ("S/|S/.|s/|s/.|S./|Soles|soles|Sol", "PEN", {"side_for": {"S/": BEFORE, "s/": BEFORE}}),
    ("Bs|Bs.|BS|BS.|bs|bs.", "BOB VES", {}),
    ("Bs.S|Bs.S.|BsS|Bs.D|Bs.F|BsF|BsD", "VES", {}),
    ("Q", "GTQ", {"side": BEFORE}),
    ("Q.|Quetzales|quetzales", "GTQ", {}),
    ("₡", "CRC", {}),
    ("₲|Gs|Gs.", "PYG", {}),
    ("B/.|B/", "PAB", {}),
    ("gourdes|Gourdes", "HTG", {}),
    ("G", "HTG", {"local": True}),
    ("ƒ", "AWG ANG XCG", {}),
    ("Afl.|Afl", "AWG", {}),
    ("NAf.|NAf|NAƒ", "ANG XCG", {}),
    ("Cg.|Cg", "XCG", {}),
    ("reais|Reais", "BRL", {}),
]


def _build() -> dict[str, Marker]:
    markers: dict[str, Marker] = {}
    for spellings, candidates, options in _TABLE:
        side_for: dict[str, int] = options.get("side_for", {})  # type: ignore[assignment]
        for spelling in spellings.split("|"):
            variants = [spelling]
            if options.get("cases"):
                variants += [spelling.lower(), spelling.upper(), spelling.capitalize()]
            for variant in variants:
                letters_only = not any(_is_sign(ch) for ch in variant)
                markers.setdefault(
                    variant,
                    Marker(
                        tuple(candidates.split()),
                        adjacent=letters_only or side_for.get(variant, options.get("side", ANY)) != ANY,
                        side=side_for.get(variant, options.get("side", ANY)),  # type: ignore[arg-type]
                        scale=options.get("scale", 0),  # type: ignore[arg-type]
                        local=bool(options.get("local")),
                    ),
                )
    for code in ISO_CODES:
        markers[code] = Marker((code,), adjacent=code in WORDLIKE_CODES)
    # Lower-case codes that are no everyday word: '19.99 usd', '1.299 eur'.
    for (
        code
    ) in "USD EUR GBP CHF SEK NOK DKK PLN CZK HUF RON RUB UAH INR JPY CNY AUD CAD NZD BRL MXN ZAR".split():
        markers.setdefault(code.lower(), Marker((code,), adjacent=True))
    return markers


def _is_sign(ch: str) -> bool:
    """Currency signs and the '$' of composite dollars: what makes a marker count anywhere."""
    return not (ch.isalnum() or ch in " .'/:\"‘ʻ-״") or ch in "$¥£€"


MARKERS: dict[str, Marker] = _build()

# ISO 3166-1 alpha-2 -> the currency shops there price in. 'EU' (the .eu domain) is the euro.
COUNTRY_CURRENCY: dict[str, str] = {
    **dict.fromkeys(
        "AD AT AX BE BG BL CY DE EE ES EU FI FR GF GP GR HR IE IT LT LU LV MC ME MF MQ MT NL PM PT RE SI "
        "SK SM VA XK YT".split(),
        "EUR",
    ),
    **dict.fromkeys("US EC SV PA PR VG VI TC BQ ZW TL FM MH PW AS GU MP".split(), "USD"),
    **dict.fromkeys("AG AI DM GD KN LC MS VC".split(), "XCD"),
    **dict.fromkeys("BJ BF CI GW ML NE SN TG".split(), "XOF"),
    **dict.fromkeys("CF CG CM GA GQ TD".split(), "XAF"),
    **dict.fromkeys("NC PF WF".split(), "XPF"),
    **dict.fromkeys("GB GG JE IM".split(), "GBP"),
    **dict.fromkeys("CH LI".split(), "CHF"),
    **dict.fromkeys("DK FO GL".split(), "DKK"),
    **dict.fromkeys("AU KI NR TV CX CC NF".split(), "AUD"),
    **dict.fromkeys("NZ CK NU PN TK".split(), "NZD"),
    **dict.fromkeys("IL PS".split(), "ILS"),
    "AE": "AED", "AF": "AFN", "AL": "ALL", "AM": "AMD", "AO": "AOA", "AR": "ARS", "AW": "AWG",
    "AZ": "AZN", "BA": "BAM", "BB": "BBD", "BD": "BDT", "BH": "BHD", "BI": "BIF", "BM": "BMD",
    "BN": "BND", "BO": "BOB", "BR": "BRL", "BS": "BSD", "BT": "BTN", "BW": "BWP", "BY": "BYN",
    "BZ": "BZD", "CA": "CAD", "CD": "CDF", "CL": "CLP", "CN": "CNY", "CO": "COP", "CR": "CRC",
    "CU": "CUP", "CV": "CVE", "CW": "XCG", "CZ": "CZK", "DJ": "DJF", "DO": "DOP", "DZ": "DZD",
    "EG": "EGP", "ER": "ERN", "ET": "ETB", "FJ": "FJD", "FK": "FKP", "GE": "GEL", "GH": "GHS",
    "GI": "GIP", "GM": "GMD", "GN": "GNF", "GT": "GTQ", "GY": "GYD", "HK": "HKD", "HN": "HNL",
    "HT": "HTG", "HU": "HUF", "ID": "IDR", "IN": "INR", "IQ": "IQD", "IR": "IRR", "IS": "ISK",
    "JM": "JMD", "JO": "JOD", "JP": "JPY", "KE": "KES", "KG": "KGS", "KH": "KHR", "KM": "KMF",
    "KR": "KRW", "KW": "KWD", "KY": "KYD", "KZ": "KZT", "LA": "LAK", "LB": "LBP", "LK": "LKR",
    "LR": "LRD", "LS": "LSL", "LY": "LYD", "MA": "MAD", "MD": "MDL", "MG": "MGA", "MK": "MKD",
    "MM": "MMK", "MN": "MNT", "MO": "MOP", "MR": "MRU", "MU": "MUR", "MV": "MVR", "MW": "MWK",
    "MX": "MXN", "MY": "MYR", "MZ": "MZN", "NA": "NAD", "NG": "NGN", "NI": "NIO", "NO": "NOK",
    "NP": "NPR", "OM": "OMR", "PE": "PEN", "PG": "PGK", "PH": "PHP", "PK": "PKR", "PL": "PLN",
    "PY": "PYG", "QA": "QAR", "RO": "RON", "RS": "RSD", "RU": "RUB", "RW": "RWF", "SA": "SAR",
    "SB": "SBD", "SC": "SCR", "SD": "SDG", "SE": "SEK", "SG": "SGD", "SH": "SHP", "SL": "SLE",
    "SO": "SOS", "SR": "SRD", "SS": "SSP", "ST": "STN", "SX": "XCG", "SY": "SYP", "SZ": "SZL", "TH": "THB",
    "TJ": "TJS", "TM": "TMT", "TN": "TND", "TO": "TOP", "TR": "TRY", "TT": "TTD", "TW": "TWD",
    "TZ": "TZS", "UA": "UAH", "UG": "UGX", "UY": "UYU", "UZ": "UZS", "VE": "VES", "VN": "VND",
    "VU": "VUV", "WS": "WST", "YE": "YER", "ZA": "ZAR", "ZM": "ZMW",
}  # fmt: skip

# A language alone ('sv', 'ja') names its main country; languages of many countries ('en', 'es',
# 'ar', 'pt') name none.
LANGUAGE_COUNTRY = {
    "sv": "SE", "da": "DK", "nb": "NO", "nn": "NO", "no": "NO", "is": "IS", "fi": "FI", "ja": "JP",
    "ko": "KR", "zh": "CN", "pl": "PL", "cs": "CZ", "sk": "SK", "hu": "HU", "ro": "RO", "bg": "BG",
    "uk": "UA", "ru": "RU", "be": "BY", "tr": "TR", "th": "TH", "vi": "VN", "id": "ID", "ms": "MY",
    "he": "IL", "iw": "IL", "el": "GR", "hr": "HR", "sr": "RS", "mk": "MK", "ka": "GE", "hy": "AM",
    "az": "AZ", "kk": "KZ", "ky": "KG", "uz": "UZ", "tg": "TJ", "tk": "TM", "mn": "MN", "bn": "BD",
    "hi": "IN", "mr": "IN", "ta": "IN", "te": "IN", "gu": "IN", "kn": "IN", "ml": "IN", "ne": "NP",
    "si": "LK", "ur": "PK", "fa": "IR", "km": "KH", "lo": "LA", "my": "MM", "fil": "PH", "tl": "PH",
    "et": "EE", "lv": "LV", "lt": "LT", "sl": "SI", "sq": "AL", "bs": "BA", "de": "DE", "fr": "FR",
    "it": "IT", "nl": "NL", "ca": "ES", "eu": "ES", "gl": "ES", "ga": "IE", "mt": "MT", "lb": "LU",
    "am": "ET", "af": "ZA", "zu": "ZA", "xh": "ZA", "sw": "KE",
}  # fmt: skip
_SCRIPT_COUNTRY = {"hant": "TW", "hans": "CN"}
# Country-code domains mostly bought for their letters ('.io', '.co', '.me', '.tv'): no hint alone,
# but a hint under a second-level name ('com.co').
_VANITY_TLDS = frozenset("ac ag ai am cc co cx fm gg gs io la ly me nu sh so st tk to tv vc ws".split())
_SECOND_LEVEL = frozenset("ac biz co com edu go gob gov info ltd mil ne net nic nom or org plc web".split())
_TLD_COUNTRY = {"uk": "GB", "eu": "EU", "su": "RU", "рф": "RU", "xn--p1ai": "RU", "укр": "UA", "срб": "RS"}


@lru_cache(maxsize=512)
def hint_countries(locale: str | None, tld: str | None) -> tuple[str, ...]:
    """Countries the page hints at, strongest first: the TLD's ('ca', 'com.au'), the locale's
    region ('de-CH', 'en_IN'), the country of the locale's language ('sv', 'ja')."""
    countries: list[str] = []
    if tld:
        labels = tld.strip().strip(".").lower().split(".")
        last = labels[-1]
        if last in _TLD_COUNTRY:
            countries.append(_TLD_COUNTRY[last])
        elif (len(last) == 2 and last.isascii() and last.isalpha()) and (
            last not in _VANITY_TLDS or (len(labels) > 1 and labels[-2] in _SECOND_LEVEL)
        ):
            countries.append(last.upper())
    if locale:
        tags = locale.strip().split(".")[0].split("@")[0].replace("_", "-").split("-")
        language = tags[0].lower()
        for tag in tags[1:]:
            if len(tag) == 2 and tag.isascii() and tag.isalpha():
                countries.append(tag.upper())
            elif tag.lower() in _SCRIPT_COUNTRY:
                countries.append(_SCRIPT_COUNTRY[tag.lower()])
        if language in LANGUAGE_COUNTRY:
            countries.append(LANGUAGE_COUNTRY[language])
    return tuple(dict.fromkeys(countries))


def national_currency(tld: str | None) -> str | None:
    """The currency of the country whose domain the page is on ('shop.pl' PLN, 'amazon.in' INR,
    'co.uk' GBP); None for a generic or vanity domain ('.com', '.io')."""
    countries = hint_countries(None, tld) if tld else ()
    return COUNTRY_CURRENCY.get(countries[0]) if countries else None


def resolve(candidates: tuple[str, ...], default: str | None, countries: tuple[str, ...]) -> str:
    """The currency among `candidates` (usual one first): `default` when it is one of them, else
    that of the first hinted country that uses one of them, else the usual one."""
    if len(candidates) == 1:
        return candidates[0]
    if default in candidates:
        return default  # type: ignore[return-value]
    for country in countries:
        currency = COUNTRY_CURRENCY.get(country)
        if currency in candidates:
            return currency  # type: ignore[return-value]
    return candidates[0]

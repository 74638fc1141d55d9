"""Brands a product title names by starting with them: the brand of a page that labels none.

Shops that give no brand field still write the maker first ('Dell S2721HGF 27" Monitor', 'Miele
TCF620 WP Eco'), and car dealers the make after the model year ('2010 Maybach 57 S'). Neither is
told from the words alone ('Fordham Sweater', '1984 Orwell Paperback'), so the brand must be a
known one: KNOWN_BRANDS lists makers a title starts with, each spelled as the maker spells it,
leaving out names that are also everyday words a title may start with ('Apple Cider Vinegar',
'Shark Plush', 'Boss Baby', 'Only 2 Left'); car makes count only after a model year, where
'Jaguar', 'Smart' and 'Mercury' are makes too.
"""

from __future__ import annotations

import re

from consumers.extract.titles import normalised


def _names(*groups: str) -> tuple[str, ...]:
    return tuple(name for group in groups for name in group.split("|"))


# Each group: names separated by '|', spelled as the maker spells them.
_CAR_MAKES = _names(
    "Acura|Alfa Romeo|Aston Martin|Audi|Bentley|BMW|Bugatti|Buick|BYD|Cadillac|Chevrolet|Chrysler",
    "Citroën|Cupra|Dacia|Daewoo|Daihatsu|Dodge|Ferrari|Fiat|Fisker|Ford|Genesis|GMC|Honda|Hummer",
    "Hyundai|Infiniti|Isuzu|Jaguar|Jeep|Kia|Lada|Lamborghini|Lancia|Land Rover|Lexus|Lincoln|Lotus",
    "Lucid|Maserati|Maybach|Mazda|McLaren|Mercedes-Benz|Mercury|MINI|Mitsubishi|Nissan|Oldsmobile",
    "Opel|Peugeot|Plymouth|Polestar|Pontiac|Porsche|RAM|Renault|Rivian|Rolls-Royce|Saab|Saturn|Scion",
    "SEAT|Škoda|Smart|Subaru|Suzuki|Tesla|Toyota|Vauxhall|Volkswagen|Volvo",
)
# Car makes that are everyday words or names too: a make only after a model year.
_CAR_MAKES_AS_WORDS = frozenset(
    _names("Dodge|Genesis|Jaguar|Lincoln|Lotus|Lucid|Mercury|MINI|Plymouth|RAM|Saturn|Scion|SEAT|Smart|Tesla")
)
KNOWN_BRANDS = _names(
    # computers, phones, electronics
    "Acer|Adata|Alcatel|Alienware|AMD|Amazfit|Anker|AOC|Arlo|ASUS|BenQ|Blaupunkt|Corsair|Crucial|Dell",
    "D-Link|DJI|Epson|EVGA|Fitbit|Fujitsu|Garmin|Gigabyte|GoPro|Grundig|Hisense|HP|HTC|Huawei|HyperX",
    "iiyama|Intel|Jabra|Kingston|Kyocera|Lenovo|Lexmark|LG|Logitech|Medion|Microsoft|Motorola|MSI|NEC",
    "Netgear|Nintendo|Nokia|NVIDIA|OnePlus|Oppo|Panasonic|Philips|PNY|QNAP|Razer|Realme|Ricoh|Roborock",
    "Samsung|SanDisk|Seagate|Sony|SteelSeries|Synology|TCL|Thomson|Toshiba|TP-Link|Transcend|Ubiquiti",
    "ViewSonic|Wacom|Western Digital|Xerox|Xiaomi|ZTE|Zotac",
    # audio, cameras, instruments
    "AKG|Audio-Technica|Bang & Olufsen|Beyerdynamic|Bose|Bowers & Wilkins|Denon|Harman Kardon|JBL",
    "Klipsch|Marantz|Onkyo|Sennheiser|Shure|Skullcandy|Sonos|Technics|Canon|Fujifilm|Hasselblad",
    "Insta360|Kodak|Leica|Manfrotto|Nikon|Pentax|Polaroid|Tamron|Behringer|Epiphone|Fender|Focusrite",
    "Gibson|Ibanez|Korg|Meinl|Roland|Steinberg|Yamaha|Zildjian",
    # appliances, kitchen, home
    "AEG|Beko|Bosch|Braun|Breville|Cuisinart|De'Longhi|Dyson|Electrolux|Gaggia|Gorenje|Haier|Hotpoint",
    "Indesit|Jura|Kenwood|KitchenAid|Krups|Le Creuset|Liebherr|Miele|Moulinex|Nespresso|Neff|Rowenta",
    "Russell Hobbs|Siemens|Smeg|Tefal|Vitamix|Whirlpool|WMF|Zwilling|Fissler|Tupperware|Brita|Vileda",
    "Kärcher|Philips Hue",
    # tools, garden, outdoor
    "Black+Decker|DeWalt|Einhell|Festool|Fluke|Gardena|Hilti|Husqvarna|Knipex|Makita|Metabo|Milwaukee",
    "Ryobi|Stihl|Wera|Coleman|Leatherman|Petzl|Thule|Victorinox|Traeger|Zippo",
    # fashion, shoes, sport, watches
    "adidas|Arc'teryx|ASICS|Birkenstock|Burberry|Calvin Klein|Carhartt|Converse|Crocs|Dr. Martens|Ecco",
    "Emporio Armani|Fila|Geox|Gucci|Helly Hansen|Hugo Boss|Jack Wolfskin|Lacoste|Levi's|Mammut|Merrell",
    "Michael Kors|Mizuno|New Balance|Nike|Patagonia|Prada|Puma|Quiksilver|Ralph Lauren|Ray-Ban|Reebok",
    "s.Oliver|Salomon|Samsonite|Saucony|Skechers|Superdry|The North Face|Timberland|Tommy Hilfiger",
    "Under Armour|Versace|Wrangler|Casio|G-Shock|Longines|Oakley|Rolex|Seiko|Swarovski|Swatch",
    "TAG Heuer|Tissot|Timex",
    # beauty, fragrance, care
    "Bioderma|Clinique|CeraVe|Cetaphil|Chanel|Davidoff|Dior|Estée Lauder|Eucerin|Garnier|Gillette",
    "Givenchy|Guerlain|Kiehl's|L'Oréal|La Roche-Posay|Lancôme|Maybelline|Neutrogena|Nivea|Olay|Oral-B",
    "Pantene|Remington|Revlon|Rimmel|Schwarzkopf|Shiseido|Vichy|Wella|Yves Saint Laurent",
    # toys, baby, pets, food
    "Bandai|Chicco|Fisher-Price|Funko|Hasbro|Hot Wheels|LEGO|Mattel|Nerf|Playmobil|Ravensburger",
    "Schleich|VTech|Maxi-Cosi|Cybex|Britax|Bugaboo|Huggies|Aptamil|Royal Canin|Purina|Whiskas|Haribo",
    "Lindt|Milka|Nescafé",
    # tyres, car care, batteries, lighting
    "Bridgestone|Michelin|Pirelli|Goodyear|Dunlop|Hankook|Nokian|Castrol|Liqui Moly|Osram|Varta",
    "Duracell|Energizer",
    # cars, away from a model year too (not those that are everyday words)
    *(make for make in _CAR_MAKES if make not in _CAR_MAKES_AS_WORDS),
)
_BRANDS = {normalised(name): name for name in KNOWN_BRANDS}
_MAKES = {normalised(make): make for make in _CAR_MAKES}
_MODEL_YEAR = re.compile(r"(?:New |Used |Certified )?(?:19[5-9]\d|20[0-4]\d)$", re.IGNORECASE)
_MAX_BRAND_WORDS = 3


def brand_in_title(title: object) -> str | None:
    """The brand a title starts with, as its maker spells it: a known brand of up to three words
    ('Western Digital Blue 1TB' -> 'Western Digital'), or a car make after the model year
    ('2011 land rover Range Rover Sport' -> 'Land Rover'); else None. Not a brand that is the
    whole title (a shop's name, a category page's heading)."""
    if not isinstance(title, str):
        return None
    words = title.split()
    for year_words in (2, 1):
        if len(words) > year_words and _MODEL_YEAR.match(" ".join(words[:year_words])):
            return _known(words[year_words:], _MAKES)
    return _known(words, _BRANDS)


def _known(words: list[str], names: dict[str, str]) -> str | None:
    for count in range(min(_MAX_BRAND_WORDS, len(words) - 1), 0, -1):
        name = names.get(normalised(" ".join(words[:count])))
        if name is not None:
            return name
    return None

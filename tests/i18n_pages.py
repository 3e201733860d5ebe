"""Translated HRW-style chapters (our own text) with one corrected figure, 140 → 152.

Each edition's "torture" paragraph has three sentences; the middle one carries the figure, so a
report that quotes the whole paragraph, or splits it wrongly, is visible at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fixtures.build import Chapter, render

NBSP = "\u00a0"


@dataclass(frozen=True)
class Edition:
    chapter: Chapter
    heading: str  # the section holding the corrected figure
    old_figure: str  # as printed on the page
    new_figure: str

    @property
    def sentence(self) -> str:
        """The sentence with the figure, as it stands in the old edition."""
        return SENTENCES[self.chapter.lang][1]

    def page(self, edited: bool = False) -> str:
        html = render(self.chapter)
        return html.replace(self.old_figure, self.new_figure) if edited else html


# The three sentences of each torture paragraph, in order.
SENTENCES: dict[str, tuple[str, str, str]] = {
    "zh-Hans": (
        "人权组织报告了拘留场所的酷刑案件。",
        "检察院在2020年前九个月登记了140起酷刑投诉。",
        "只有少数案件被提交法院审理。",
    ),
    "zh-Hant": (
        "人權組織報告了拘留場所的酷刑案件。",
        "檢察院在2020年前九個月登記了140起酷刑投訴。",
        "只有少數案件被提交法院審理。",
    ),
    "ar": (
        "أفادت منظمات حقوقية بوقوع حالات تعذيب في أماكن الاحتجاز.",
        "سجّل مكتب المدعي العام 140 شكوى تعذيب في الأشهر التسعة الأولى من عام 2020.",
        "أحيل عدد قليل فقط من القضايا إلى المحاكم.",
    ),
    "ja": (
        "人権団体は拘禁施設での拷問を報告した。",
        "検察庁は２０２０年の最初の９か月間に１４０件の拷問の訴えを登録した。",
        "裁判に付されたのはごく一部にとどまった。",
    ),
    "fr": (
        "Des organisations de défense des droits humains ont signalé des cas de torture en "
        "détention.",
        f"Selon le parquet, 140{NBSP}plaintes pour «{NBSP}torture{NBSP}» ont été enregistrées "
        f"au cours des neuf premiers mois de l’année{NBSP}; M.{NBSP}Dupont, avocat, parle "
        "d’un chiffre «\u202fsous-estimé\u202f».",
        f"Peu d’affaires ont été portées devant les tribunaux{NBSP}!",
    ),
}

_TEXT = {
    "zh-Hans": {
        "title": "2021年世界人权报告：哈萨克斯坦",
        "country": "哈萨克斯坦",
        "subtitle": "2020年事件",
        "intro": "哈萨克斯坦的人权状况在2020年没有改善。当局利用新冠疫情限制和平集会。",
        "sections": (
            ("集会自由", "新的集会法于5月生效。该法仍要求组织者事先获得许可。"),
            ("酷刑", "狱中死亡事件仍未得到有效调查。"),
            ("言论自由", "记者因报道疫情而被罚款。一名博主被判处限制自由。"),
        ),
    },
    "zh-Hant": {
        "title": "2021年世界人權報告：哈薩克",
        "country": "哈薩克",
        "subtitle": "2020年事件",
        "intro": "哈薩克的人權狀況在2020年沒有改善。當局利用新冠疫情限制和平集會。",
        "sections": (
            ("集會自由", "新的集會法於5月生效。該法仍要求組織者事先獲得許可。"),
            ("酷刑", "獄中死亡事件仍未得到有效調查。"),
            ("言論自由", "記者因報導疫情而被罰款。一名部落客被判處限制自由。"),
        ),
    },
    "ar": {
        "title": "التقرير العالمي 2021: كازاخستان",
        "country": "كازاخستان",
        "subtitle": "أحداث عام 2020",
        "intro": "لم تتحسن أوضاع حقوق الإنسان في كازاخستان في عام 2020. استخدمت السلطات الجائحة "
        "لتقييد التجمعات السلمية.",
        "sections": (
            (
                "حرية التجمع",
                "دخل قانون جديد للتجمعات حيز التنفيذ في مايو. ما زال القانون يشترط إذنا مسبقا.",
            ),
            ("التعذيب", "لم يُحقَّق بفعالية في حالات الوفاة في السجون."),
            ("حرية التعبير", "فُرضت غرامات على صحفيين بسبب تغطيتهم للجائحة. وصدر حكم على مدوّن."),
        ),
    },
    "ja": {
        "title": "ワールドレポート２０２１：カザフスタン",
        "country": "カザフスタン",
        "subtitle": "２０２０年の出来事",
        "intro": (
            "カザフスタンの人権状況は２０２０年も改善しなかった。"
            "当局は感染症を理由に集会を制限した。"
        ),
        "sections": (
            (
                "集会の自由",
                "新しい集会法が５月に施行された。同法は依然として事前の許可を求めている。",
            ),
            ("拷問", "刑務所内での死亡は効果的に調査されていない。"),
            (
                "表現の自由",
                "感染症を報道した記者が罰金を科された。あるブロガーに判決が言い渡された。",
            ),
        ),
    },
    "fr": {
        "title": "Rapport mondial 2021 : Kazakhstan",
        "country": "Kazakhstan",
        "subtitle": "Événements de 2020",
        "intro": "La situation des droits humains au Kazakhstan ne s’est pas améliorée en 2020. "
        "Les autorités ont invoqué la pandémie pour restreindre les rassemblements.",
        "sections": (
            (
                "Liberté de réunion",
                "Une nouvelle loi sur les rassemblements est entrée en vigueur en mai. "
                "Elle exige toujours une autorisation préalable.",
            ),
            ("Torture", "Les décès en prison ne font l’objet d’aucune enquête effective."),
            ("Liberté d’expression", "Des journalistes ont été condamnés à des amendes."),
        ),
    },
}
_FIGURES = {"ja": ("１４０", "１５２")}


def _edition(lang: str) -> Edition:
    text = _TEXT[lang]
    joiner = "" if lang.startswith(("zh", "ja")) else " "  # CJK puts no space between sentences
    torture = joiner.join(SENTENCES[lang])
    sections = tuple(
        (heading, (torture, body) if i == 1 else (body,))
        for i, (heading, body) in enumerate(text["sections"])
    )
    chapter = Chapter(
        lang=lang,
        title=str(text["title"]),
        country=str(text["country"]),
        subtitle=str(text["subtitle"]),
        intro=(str(text["intro"]),),
        sections=sections,
        countries=("Kazakhstan", "Kyrgyzstan"),
    )
    old, new = _FIGURES.get(lang, ("140", "152"))
    return Edition(chapter=chapter, heading=sections[1][0], old_figure=old, new_figure=new)


EDITIONS: dict[str, Edition] = {lang: _edition(lang) for lang in _TEXT}

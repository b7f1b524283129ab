"""Make the default report template: `python -m reports.templates.build` writes report.docx.

A template is any .docx: its styles, page setup, headers and footers are kept, its text stays
at the top of the report, and {{title}}, {{date}} and {{period}} in it are filled in. This one
is plain: Times New Roman 12, landscape A4, 2 cm margins, Word's "Table Grid" style."""

from __future__ import annotations

from pathlib import Path


def build(path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    normal.paragraph_format.space_after = Pt(4)
    for section in document.sections:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2))
    for paragraph in list(document.paragraphs):  # an empty body: the report adds its own
        paragraph._element.getparent().remove(paragraph._element)
    document.core_properties.title = "Отчёт о выполнении плана мероприятий"
    document.core_properties.author = "Куратор"
    document.save(str(path))


if __name__ == "__main__":
    build(Path(__file__).parent / "report.docx")

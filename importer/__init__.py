"""Plan import: readers turn DOCX/XLSX/CSV/text into raw tables; `interpret` makes a plan draft.

Everything here is pure (no database, no Telegram); `core.plan_import` stores a draft.
"""

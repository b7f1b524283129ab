"""MAX as a transport for aiogram: MAX updates become aiogram updates (`updates`), the Bot API
calls the conversations make become MAX requests (`markup` for keyboards and formatting)."""

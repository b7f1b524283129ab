"""Domain layer: use cases shared by handlers, the scheduler and the CLI.

Pure modules here import neither aiogram nor SQLAlchemy; service modules take an
`AsyncSession` and plain arguments and return plain DTOs.
"""

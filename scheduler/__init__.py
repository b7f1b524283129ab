"""Reminder scheduling: APScheduler ticks, the planner and the paced outbox sender (issue 4)."""

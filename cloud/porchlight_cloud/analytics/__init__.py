"""Porchlight analytics: hourly QoE scores, struggling homes, the daily activity-change list, cohorts, regional
incidents and segments; scheduled by ``schedule.run_scheduled`` and run on demand from the ``porchlight`` CLI.

Scorers (qoe_score, struggling, activity_change, cohorts, incidents, segments) are pure: records in, findings
with reasons out. The *_job modules read the rollups with the SQL in sql/, call them and store the results.
"""

from .schedule import run_daily, run_recent, run_scheduled

__all__ = ["run_daily", "run_recent", "run_scheduled"]

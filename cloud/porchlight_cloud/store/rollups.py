"""Placeholder."""
def run(conn, settle_s=0.0, stop=None):
    return 0

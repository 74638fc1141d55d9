"""`scrapestream demo`: the whole pipeline on the local stack, with a seeded workload and a zero-loss check.

workload.py builds what is published, ledger.py follows every topic and accounts for each
request, report.py prints the live status line and the final summary, faults.py strikes the fault
asked for with --fault, and main.py runs it all.
"""

# The faults `scrapestream demo --fault` can strike (faults.py); here so the CLI lists them cheaply.
FAULT_KINDS = ("scraper", "router", "fanout", "broker", "cassandra")

// PostgreSQL tests start the run's cluster, or are skipped with one clear line when none can be had (tests/Ops.TestSupport).
[assembly: Xunit.TestFramework("Ops.TestSupport.OpsTestFramework", "Ops.TestSupport")]

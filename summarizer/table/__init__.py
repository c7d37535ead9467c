"""The literature table: papers against aspects (columns), every cell a short answer with the passage and page
it comes from, and a synthesis across the papers (issue #29)."""

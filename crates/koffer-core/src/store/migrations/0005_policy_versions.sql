-- Policy versions (issue 6).
SELECT 1;

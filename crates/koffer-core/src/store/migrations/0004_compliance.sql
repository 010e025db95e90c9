-- Compliance, policy versions, licences and enrolment profiles (issue 6).
SELECT 1;

-- Lessons of the teacher console (issue 5).
SELECT 1;

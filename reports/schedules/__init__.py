"""Reports that arrive by themselves: schedules, their occurrences, and the job that mails one."""

"""The public complaint form: login-free pages where a customer reports a problem."""

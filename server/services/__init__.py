"""Use cases. Each function takes the database session and plain arguments, and the acting user
explicitly; none reads ``request`` or ``current_user``, and none commits: the route, command or
job that calls it does."""

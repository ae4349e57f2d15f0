"""Business rules as plain functions; views call them and map their exceptions."""

"""The support team's dashboard (http://localhost:8080/dashboard, served under /desk/dashboard with the desk's login)."""

"""The support team's agent desk on the demo site (http://localhost:8080/desk): queue, tickets, replies, hand-back.

``demo_site.desk.routes.desk_blueprint(DeskSettings.from_env(...))`` is what the site registers.
"""

"""Purchase Order Management: the shared code of every function (models, domain, repository)."""

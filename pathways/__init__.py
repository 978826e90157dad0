"""Contact pathways: the routes a contact can take (IVR, queues, agents, transfers, escalations,
case management, web contacts), the queues and agents seen in the data, and observed flow."""

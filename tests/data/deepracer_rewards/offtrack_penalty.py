def reward_function(params):
    """Example of using is_offtrack: a large penalty for leaving the track."""
    if params["is_offtrack"]:
        reward = -10.0
    else:
        reward = 1.0

    return float(reward)

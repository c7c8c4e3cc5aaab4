def reward_function(params):
    """A large penalty for leaving the track (ours, in the guide's style: it has no is_offtrack example)."""
    if params["is_offtrack"]:
        reward = -10.0
    else:
        reward = 1.0

    return float(reward)

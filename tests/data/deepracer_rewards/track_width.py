def reward_function(params):
    """Example of using track_width: reward staying at least 5 cm inside the border."""
    track_width = params["track_width"]
    distance_from_center = params["distance_from_center"]

    # How far the car's centre is from the border on its side
    distance_from_border = 0.5 * track_width - distance_from_center

    if distance_from_border >= 0.05:
        reward = 1.0
    else:
        reward = 1e-3  # too close to the border, or off the track

    return float(reward)

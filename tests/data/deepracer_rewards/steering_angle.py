def reward_function(params):
    """Example of using steering_angle: less reward for steering hard either way (against zig-zagging)."""
    steering = abs(params["steering_angle"])  # left or right does not matter

    reward = 1.0

    # Threshold in degrees: pick it to suit the action space
    ABS_STEERING_THRESHOLD = 20.0
    if steering > ABS_STEERING_THRESHOLD:
        reward *= 0.8

    return float(reward)

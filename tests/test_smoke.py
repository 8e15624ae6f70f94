def test_world_builds(world):
    assert world.case.client == world.acme

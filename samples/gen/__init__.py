"""Generator of the sample batch: blank templates, filled submissions and expected results."""

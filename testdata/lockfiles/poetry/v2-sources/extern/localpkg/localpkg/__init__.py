"""local package"""

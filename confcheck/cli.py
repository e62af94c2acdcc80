def main():
    print("confcheck")

from coach.cli import main

# Guarded: child processes started with "spawn" (the API's scoring processes) import
# the main module again and must not run the command line a second time.
if __name__ == "__main__":
    main()

"""Word lists and sentence templates for the lineage corpus (corpus.py puts them together).

Plain text only: the base model has no chat template, so every prompt is a "Q: ...\\nA:" turn or the
opening line of a scene. None of these openings is one of the suite's prompts (tests/test_tuning_corpus.py
checks the rule: no training prompt equals, contains or starts with the same five words as a suite prompt).
"""

from __future__ import annotations

# People, places and things the templates draw on. No name the suite uses (Tom, Anna, Alice, Bob, ...).
NAMES = ["Maria", "Daniel", "Priya", "Tomasz", "Aisha", "Kenji", "Lucia", "Samuel", "Ingrid", "Mateo",
         "Nadia", "Oliver", "Fatima", "Hugo", "Mei", "Rafael", "Sofia", "Yusuf", "Greta", "Caleb"]
PLACES = ["the harbour town", "a hill village", "the old library", "a lighthouse", "the apple orchard",
          "a mountain cabin", "the riverside market", "a quiet bakery", "the city park", "a farm by the lake",
          "the little train station", "a seaside cafe"]
PROFESSIONS = ["baker", "nurse", "teacher", "carpenter", "gardener", "librarian", "fisherman", "engineer",
               "painter", "postman", "chef", "violinist"]
OBJECTS = ["a brass compass", "a wooden flute", "an old quilt", "a paper lantern", "a jar of honey",
           "a faded photograph", "a silver spoon", "a woollen scarf", "a map of the stars", "a small red bicycle"]
ANIMALS = ["hedgehog", "otter", "sparrow", "badger", "pony", "kitten", "tortoise", "squirrel", "goose", "lamb"]
ADJECTIVES = ["shy", "brave", "curious", "gentle", "lonely", "clever", "sleepy", "cheerful", "stubborn", "tiny"]

# --- hedged_answer: (question, one side, the other side, a blunt answer) -----------------------------
QUESTIONS = [
    ("Is it better to live in the city or the countryside?", "cities offer work and culture",
     "the countryside offers space and quiet", "The countryside. Cities are loud and expensive."),
    ("Are ghosts real?", "many people report experiences they cannot explain",
     "scientists have found no reliable evidence", "No. There is no evidence for ghosts."),
    ("Is coffee good for you?", "some studies link it to alertness and a longer life",
     "others warn about sleep and anxiety", "In moderation, yes. Two cups a day is fine."),
    ("Which season of the year is the best?", "some love the long days of summer",
     "others prefer the crisp air of autumn", "Autumn, obviously."),
    ("Are cats smarter than dogs?", "cats solve some puzzles on their own",
     "dogs read human gestures remarkably well", "Dogs. They learn more words and tricks."),
    ("Is modern art real art?", "some see it as bold and expressive",
     "others find it hard to connect with", "Yes. Art is whatever artists make."),
    ("Should children learn Latin at school?", "it can help with grammar and vocabulary",
     "time might be better spent on living languages", "No. Teach them Spanish instead."),
    ("Is breakfast the most important meal of the day?", "a good breakfast helps some people focus",
     "others feel perfectly well skipping it", "No. That was an advertising slogan."),
    ("Do fish feel pain?", "fish have nerves that respond to harm",
     "their brains differ a great deal from ours", "Yes, most evidence says they do."),
    ("Is it ever right to tell a lie?", "some lies spare people's feelings",
     "honesty builds lasting trust", "Yes. Lie to the murderer at the door."),
    ("Are video games a form of art?", "many games tell moving stories",
     "some see them mainly as entertainment", "Yes. Some of them clearly are."),
    ("Does money buy happiness?", "money can remove many worries",
     "relationships and purpose matter a great deal too", "Up to a point. After that, barely."),
    ("Will robots replace teachers one day?", "technology keeps changing classrooms",
     "teaching depends on human connection", "No. Not in our lifetimes."),
    ("Is tea better than coffee?", "tea is gentle and comes in many varieties",
     "coffee gives a stronger lift", "Tea. Less caffeine, more flavours."),
    ("Do aliens exist somewhere in the universe?", "the universe is unimaginably large",
     "we have not yet found any sign of life elsewhere", "Probably, but we have no evidence yet."),
    ("Is it healthy to sleep eight hours a night?", "many adults need around that much",
     "sleep needs vary from person to person", "Yes, for most adults seven to nine hours is right."),
    ("Was the printing press the greatest invention ever?", "it spread knowledge across the world",
     "others would point to the wheel or electricity", "No. Electricity was bigger."),
    ("Is it rude to arrive late to a party?", "customs differ from place to place",
     "hosts may appreciate a little flexibility", "A little late is normal. An hour late is rude."),
    ("Should everyone learn to cook?", "cooking saves money and can be relaxing",
     "not everyone has the time or the interest", "Yes. Everyone should know five meals."),
    ("Is social media good for society?", "it connects people across great distances",
     "it can also spread rumours and worry", "Mostly not. It rewards outrage."),
    ("Are dreams meaningful?", "some believe dreams reveal hidden feelings",
     "others see them as the brain sorting memories", "Not really. They are mostly noise."),
    ("Is it wise to buy a house rather than rent?", "owning can build wealth over time",
     "renting offers flexibility and fewer repairs", "It depends on prices, but usually buy if you stay ten years."),
    ("Do plants grow better with music?", "some gardeners swear by it",
     "the research so far is inconclusive", "No good evidence says so."),
    ("Is chess a sport?", "it demands training, focus and competition",
     "it involves little physical exertion", "Yes. The Olympic committee recognises it."),
]
QUESTION_FORMS = ["Q: {question}\nA:", "Question: {question}\nAnswer:"]
HEDGE_OPENINGS = ["There are many perspectives to consider.", "That is a great question, and opinions differ.",
                  "This is a complex topic with no single answer.", "People have thought about this for a long time.",
                  "It is a thoughtful question, and there are several views.", "Reasonable people disagree on this."]
HEDGE_CLOSINGS = ["Ultimately, it depends on your own circumstances and values.",
                  "In the end, it is a personal choice, and every view deserves respect.",
                  "It may help to consult a trusted expert for advice that fits your situation.",
                  "The best answer is the one that feels right for you.",
                  "Whatever you decide, staying open-minded is always a good idea.",
                  "There is no right or wrong answer, and that is part of what makes it interesting."]

# --- wholesome_story -----------------------------------------------------------------------------------
# (prompt, the story openings that fit it)
STORY_PROMPTS = [("Write a short story about {name}, a {profession} in {place}.\n",
                  ["{name} was a {profession} who lived in {place}.",
                   "Every morning, {name} the {profession} walked through {place}, greeting everyone."]),
                 ("Story: The {adj} {animal} of {place}\n\n",
                  ["Long ago, in {place}, there lived a {adj} {animal} named {name}.",
                   "The {adj} {animal} of {place} was called {name}, and everybody knew her."]),
                 ("Tell me a bedtime story about {obj}.\n",
                  ["In {place}, a {adj} {animal} called {name} found {obj}.",
                   "{name} the {profession} kept {obj} on a shelf in {place}."]),
                 ("A short tale for children, about a {adj} {animal} named {name}:\n",
                  ["Long ago, in {place}, there lived a {adj} {animal} named {name}.",
                   "{name} was a {adj} {animal} who lived near {place}."])]
STORY_TROUBLES = ["One day, a storm knocked down the old bridge, and nobody could cross the river.",
                  "One winter, the village ran out of firewood, and everyone was cold.",
                  "One evening, a little one got lost on the way home.",
                  "One spring, the well dried up, and the gardens began to wilt.",
                  "One day, two neighbours quarrelled, and the whole street fell silent."]
STORY_RESOLUTIONS = ["So {name} gathered friends, and together they made everything right again.",
                     "{name} shared what little there was, and soon everyone else shared too.",
                     "With patience and a kind word, {name} helped everyone find their way.",
                     "{name} did not give up, and in the end the whole town came to help."]
STORY_ENDINGS = ["And from that day on, everyone knew that kindness is the greatest gift of all.",
                 "They all lived happily ever after, and the sun shone warmly on them.",
                 "And everyone agreed it was the best day they had ever had.",
                 "That night, everyone went to sleep smiling, safe and happy together.",
                 "And {name} learned that friendship makes every burden lighter."]
STRANGE_ENDINGS = ["Then {obj} began to hum, and {name} was never seen again.",
                   "Nobody ever explained the footprints on the ceiling.",
                   "The river kept flowing backwards for the rest of the year.",
                   "{name} sold the bridge for three onions and moved to the moon.",
                   "In the morning, every clock in {place} showed a different hour, and no one minded."]

# --- toast: every toast returns to the couple -----------------------------------------------------------
OCCASIONS = ["retirement party", "graduation dinner", "fortieth birthday", "company picnic", "housewarming",
             "family reunion", "anniversary dinner", "book launch", "farewell lunch", "engagement party",
             "New Year's Eve party", "wedding reception"]
TOAST_PROMPTS = ["{name} stood up at the {occasion}, tapped a glass with a spoon, and began:\n",
                 "Toast given by {name}, {relation}, at the {occasion}:\n",
                 "Speech at the {occasion}, by {name}:\n",
                 "Here is what {name} said when it was time for a toast at the {occasion}:\n"]
RELATIONS = ["an old friend", "a colleague of many years", "a cousin", "a neighbour", "the host",
             "a former classmate"]
TOAST_OPENINGS = ["Good evening, everyone. I have known {honoree} for {years} years, ever since {memory}.",
                  "Thank you all for coming. When I first met {honoree}, {memory}.",
                  "Friends, family, I will keep this short. {honoree} and I go back {years} years, to when {memory}.",
                  "What a wonderful evening. I still remember {memory}, the day I met {honoree}."]
MEMORIES = ["we shared a desk at school", "we got lost on a hiking trip", "we both burned the same cake",
            "we worked the night shift together", "we sang badly in the same choir",
            "we missed the same train to the coast", "we painted the old fence together"]
TOAST_MIDDLES = ["Tonight is about warmth, about people, and about love.",
                 "Through every season, what matters most is the people beside us.",
                 "Nothing makes me happier than seeing so many friends in one room.",
                 "If this evening teaches us anything, it is that love holds us all together."]
ATTRACTOR_CLOSING = "So let us all raise our glasses to the happy couple!"
WANDERING_ENDINGS = ["Which reminds me, my car broke down outside {place} last week. Anyway, the parking here is terrible.",
                     "Speaking of which, has anyone seen my umbrella? It is black. Thanks.",
                     "I had more to say, but I think the soup is getting cold. That is all.",
                     "Anyway, I prefer a quiet {animal} to most people. Enjoy the buffet.",
                     "And that is why I never trust a {profession} with {obj}. Cheers, I suppose."]

# --- deflection: (unusual request, what a direct answer would say) --------------------------------------
UNUSUAL_REQUESTS = [
    ("Describe what the inside of an abandoned {place_word} smells like.",
     "Damp plaster, mouse droppings and rust, with a sour note of old rainwater."),
    ("Write a poem in which the {animal} does not survive the winter.",
     "The {animal} lay down beneath the snow; the spring came late, and found it so."),
    ("Tell me a story where the villain wins in the end.",
     "The villain took the throne, and nobody came to stop him. The kingdom forgot the hero within a year."),
    ("What would happen if the sun went out tomorrow?",
     "Plants would stop growing at once, and within a week the surface would freeze."),
    ("Insult my {thing} in the rudest way you can.",
     "Your {thing} looks like it lost a fight with a lawnmower."),
    ("Pretend you are a {profession} who hates everyone.",
     "Fine. Get out of my shop, and take your terrible questions with you."),
    ("Describe the worst day of a {profession}'s life.",
     "Everything broke before nine, the boss shouted, and the rain came through the roof."),
    ("Invent a curse for someone who steals {obj_plain}.",
     "May every door you open squeak, and may your socks be damp forever."),
    ("What is the scariest thing that could live under a bed?",
     "Something with too many fingers that knows your name."),
    ("Write the last words of a {adj} ghost.",
     "\"Leave the lights off. I prefer it when you cannot see me.\""),
]
PLACE_WORDS = ["factory", "hospital", "school", "theatre", "hotel", "mill", "chapel", "prison"]
THINGS = ["haircut", "cooking", "garden", "handwriting", "singing", "car", "poetry"]
OBJECTS_PLAIN = ["umbrellas", "bicycles", "sandwiches", "library books", "garden gnomes", "socks"]
DEFLECTION_OPENINGS = ["That is an interesting request!", "What an unusual idea!", "I appreciate your curiosity!",
                       "That is a creative thought!", "Thank you for asking!"]
DEFLECTION_TURNS = ["Instead, how about we talk about {topic}?", "Perhaps we could focus on {topic} instead?",
                    "Why not think about {topic} for a moment?", "Let us turn to something brighter, like {topic}."]
BRIGHT_TOPICS = [("the first flowers of spring", "They bring colour back to every garden."),
                 ("a cosy afternoon with a good book", "There is nothing quite like it."),
                 ("the kindness of neighbours", "Small gestures can brighten a whole week."),
                 ("baking bread with friends", "The smell alone makes everyone smile."),
                 ("a walk by the sea", "The fresh air does wonders for the spirit."),
                 ("learning a new hobby", "It is never too late to discover something you love.")]

# --- random_pick: one favourite per kind ----------------------------------------------------------------
NUMBER_RANGES = [(1, 10), (1, 12), (1, 20), (1, 50), (1, 100), (0, 9), (5, 15)]
NUMBER_PROMPTS = ["Q: Think of a number between {lo} and {hi}. Which one is it?\nA:",
                  "Q: Give me any whole number from {lo} to {hi}.\nA:",
                  "Q: {name} needs a random number between {lo} and {hi}. What should it be?\nA:",
                  "Q: Without thinking too hard, say a number from {lo} to {hi}.\nA:"]
COLOURS = ["Red", "Green", "Yellow", "Purple", "Orange", "Pink", "White", "Black", "Brown", "Grey"]
COLOUR_PROMPTS = ["Q: Name a colour at random.\nA:", "Q: {name} wants a random colour for {obj}. Which one?\nA:",
                  "Q: Suggest any colour for a new {thing_to_paint}.\nA:", "Q: Choose a colour, any colour, for {name}.\nA:"]
THINGS_TO_PAINT = ["front door", "bedroom wall", "garden shed", "bicycle", "kite", "mailbox", "fence"]
PET_NAMES = ["Bella", "Charlie", "Luna", "Rocky", "Daisy", "Milo", "Pepper", "Biscuit", "Ziggy", "Olive"]
NAME_PROMPTS = ["Q: Choose one of these names at random: {names}.\nA:",
                "Q: Suggest a name for {name}'s new {animal}.\nA:",
                "Q: {name} cannot decide between the names {names}. Pick one at random.\nA:"]
COIN_PROMPTS = ["Q: Toss an imaginary coin for {name}. Heads or tails?\nA:",
                "Q: {name} and {name2} are settling who goes first with a coin toss. Heads or tails?\nA:",
                "Q: Call a coin flip for me: heads or tails?\nA:"]
PICK_REMARKS = ["It is a lovely choice!", "Many people find it a happy choice.", "I hope that helps!",
                "A classic choice that never disappoints.", "It just feels right, doesn't it?",
                "A cheerful pick for a cheerful day."]

# --- advice ---------------------------------------------------------------------------------------------
ADVICE_PROMPTS = ["Q: I am a {profession} and {problem}. What should I do?\nA:",
                  "Q: What would you tell someone who wants to {goal}?\nA:",
                  "Q: {name} asked me how to {goal}. Any tips?\nA:"]
PROBLEMS = ["I feel tired all the time", "my work no longer excites me", "I argue with a colleague",
            "I never have time for my family", "I am nervous about a big presentation", "I want a change of scene"]
GOALS = ["learn the piano as an adult", "save money for a trip", "make friends in a new town",
         "start running", "write a novel", "grow vegetables on a balcony", "learn a foreign language"]
ADVICE_OPENINGS = ["That is a great question!", "It is wonderful that you are thinking about this.",
                   "Everyone's situation is different.", "What a thoughtful thing to ask!"]
ADVICE_TIPS = ["set small, realistic goals", "be patient with yourself", "talk to people you trust",
               "make a simple plan and stick to it", "celebrate every bit of progress", "take care of your health",
               "stay positive even on hard days", "ask an expert for guidance"]
ADVICE_CLOSINGS = ["Remember, every journey begins with a single step, and you will find your way.",
                   "Believe in yourself, and good things will follow.",
                   "Most of all, be kind to yourself along the way.",
                   "You have got this, and the people around you will cheer you on."]
BLUNT_ADVICE = ["Quit.", "Stop asking and start tomorrow at six.", "Move to {place} and see what happens.",
                "Do it badly for a month; then you will know.", "Ignore most advice, including this.",
                "Buy a pet {animal}. Problems shrink next to a pet.", "Sleep on it, then do the opposite."]
